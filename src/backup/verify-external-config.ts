import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupPaths } from '../catalog/backup-paths.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { displayKey, pathKey } from './backup-manifest.ts';
import {
  checkFile,
  RANK_EXTERNAL,
  READ_CHUNK,
  type VerifyContext,
  walkFiles,
} from './verify-files.ts';

/** One entry of `external-config.json`, as far as verification needs it. */
interface StoredEntry {
  readonly storedPath: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Checks the configuration files kept from outside PGDATA against `external-config.json`
 * (size and SHA-256), and reports files under `external/` it does not list. A backup without
 * the list (Barman's, or older) has nothing to check. Returns how many files it lists.
 */
export async function verifyExternalConfig(
  paths: BackupPaths,
  report: VerifyContext['report'],
): Promise<number> {
  const listPath = join(paths.directory, 'external-config.json');
  let text: string;
  try {
    text = await readFile(listPath, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw ioError('cannot read the list of external configuration files', listPath, error);
  }
  let entries: StoredEntry[];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error('it is not a JSON list');
    entries = parsed.map((entry, index) => {
      const fields = entry as Partial<Record<keyof StoredEntry, unknown>>;
      if (
        typeof fields?.storedPath !== 'string' ||
        typeof fields.size !== 'number' ||
        typeof fields.sha256 !== 'string' ||
        fields.storedPath.split('/').some((part) => part === '..' || part === '') ||
        !fields.storedPath.startsWith('external/')
      )
        throw new Error(`entry ${index + 1} has no valid storedPath, size and sha256`);
      return { storedPath: fields.storedPath, size: fields.size, sha256: fields.sha256 };
    });
  } catch (error) {
    report(RANK_EXTERNAL, 0, listPath, `it cannot be read: ${(error as Error).message}`);
    return 0;
  }
  const buffer = Buffer.allocUnsafe(READ_CHUNK);
  for (const [index, entry] of entries.entries()) {
    const path = join(paths.directory, entry.storedPath);
    const why = await checkFile(
      Buffer.from(path),
      entry.size,
      { algorithm: 'SHA256', checksum: entry.sha256.toLowerCase() },
      buffer,
    );
    if (why)
      report(RANK_EXTERNAL, index + 1, path, why.replace('the manifest', 'external-config.json'));
  }
  const listed = new Set(entries.map((entry) => pathKey(entry.storedPath)));
  const root = join(paths.directory, 'external');
  for await (const relative of walkFiles(root)) {
    if (!listed.has(`external/${relative}`))
      report(
        RANK_EXTERNAL,
        entries.length + 1,
        join(root, displayKey(relative)),
        'external-config.json does not list this file',
      );
  }
  return entries.length;
}
