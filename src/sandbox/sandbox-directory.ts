import { chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OsUser } from '../storage/os-user.ts';
import { processStartTime } from '../storage/process-identity.ts';

/** Name prefix of every sandbox directory in the temp dir; the sweeper looks for it. */
export const sandboxDirectoryPrefix = 'barkeep-sandbox-';

/** Name of the file recording which process owns a sandbox directory. */
export const ownerFileName = 'owner.pid';

/**
 * Creates a fresh `<tmpdir>/barkeep-sandbox-<label>-<random>` directory and records this process
 * (pid and start time, see `readOwner`) in its `owner.pid`, so the sweeper of a later run can
 * remove it once this process is dead even if it was SIGKILLed. When `owner` is given (we are
 * root and PostgreSQL runs as that account) the directory is handed to that account.
 */
export function createSandboxDirectory(label: string, owner?: OsUser): string {
  const directory = mkdtempSync(join(tmpdir(), `${sandboxDirectoryPrefix}${safeLabel(label)}-`));
  writeFileSync(
    join(directory, ownerFileName),
    `${process.pid}\n${processStartTime(process.pid) ?? ''}\n`,
    { mode: 0o644 },
  );
  if (owner !== undefined) chownSync(directory, owner.uid, owner.gid);
  return directory;
}

/**
 * Reduces a free-form label to a short, file-name-safe one. Short because the unix socket path
 * inside the sandbox must stay under the kernel's 107-byte limit.
 */
function safeLabel(label: string): string {
  const cleaned = label
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24);
  return cleaned === '' ? 'cluster' : cleaned;
}
