import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { ioError } from '../errors/system-error.ts';
import { ensureDirectory, fsyncDirectory, temporaryNameFor } from '../storage/durable-write.ts';
import type { ExternalConfigFile, ExternalConfigKind } from './external-config.ts';

/** The directory of a backup that holds the external files: `<backupDir>/external`. */
export const externalConfigDirectory = 'external';

/** Mode of a stored file whose original mode is unknown (read over SQL). */
const unknownModeFallback = 0o600;

/** One stored file, for backup.info and for recovery. */
export interface StoredConfigFile {
  readonly kind: ExternalConfigKind;
  /** Where the file was on the PostgreSQL host, and where recovery puts it back. */
  readonly originalPath: string;
  /** Relative to the backup directory: `external/<originalPath without the leading slash>`. */
  readonly storedPath: string;
  readonly size: number;
  /** Original permission bits, or null when the transport did not report them (SQL). */
  readonly mode: number | null;
  /** Hex SHA-256 of the content, to verify the stored copy. */
  readonly sha256: string;
}

/**
 * Stores the configuration files found outside PGDATA inside a backup directory, each under
 * `external/<original absolute path>` (e.g. `external/etc/postgresql/15/main/postgresql.conf`)
 * so the original location is kept in the layout itself. Every file is written durably (temporary
 * name, fsync, rename, directory fsync) with its original permission bits, or 0600 when they are
 * unknown (setuid, setgid and sticky bits are dropped from the copy); an existing copy (a
 * retried backup) is replaced. Returns the manifest in input order.
 *
 * @throws BarkeepError `operationFailed` for a path that is not absolute and clean (it could
 * escape the backup directory), `io` when writing fails.
 */
export async function storeExternalConfig(
  backupDir: string,
  files: readonly ExternalConfigFile[],
): Promise<StoredConfigFile[]> {
  const manifest: StoredConfigFile[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const storedPath = storedPathFor(file.path);
    if (seen.has(storedPath)) continue;
    seen.add(storedPath);
    const target = join(backupDir, storedPath);
    await ensureDirectory(dirname(target), 0o700);
    const mode = file.mode === null ? unknownModeFallback : file.mode & 0o777;
    await writeWithMode(target, file.content, mode);
    manifest.push({
      kind: file.kind,
      originalPath: file.path,
      storedPath,
      size: file.content.length,
      mode: file.mode,
      sha256: createHash('sha256').update(file.content).digest('hex'),
    });
  }
  return manifest;
}

/**
 * `external/<path>` for an absolute path; refuses relative paths and `.`/`..` components so that
 * no original path can place a file outside `external/`.
 */
export function storedPathFor(originalPath: string): string {
  const parts = originalPath.split('/').slice(1);
  if (
    !originalPath.startsWith('/') ||
    originalPath.includes('\0') ||
    parts.length === 0 ||
    parts.some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot store a configuration file',
      subject: originalPath,
      why: 'its path is not an absolute path without empty, . or .. components',
    });
  }
  return posix.join(externalConfigDirectory, ...parts);
}

/**
 * writeFileDurable with exact permission bits: the mode is set on the open temporary file
 * (not subject to the umask) before it is flushed and renamed into place.
 */
async function writeWithMode(path: string, data: Buffer, mode: number): Promise<void> {
  const temporary = temporaryNameFor(path);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw ioError('cannot write file', path, error);
  }
  await fsyncDirectory(dirname(path));
}
