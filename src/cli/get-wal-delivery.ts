import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type FoundWal, readFoundWal, writeFoundWal } from '../archive/get-wal.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import { ioError } from '../errors/system-error.ts';
import { temporaryNameFor } from '../storage/durable-write.ts';

/** Where get-wal hands the file over. */
export interface WalDelivery {
  /** Write the file into this directory (atomically) instead of standard output. */
  readonly outputDirectory?: string;
  /** gzip the output (barman-wal-restore -z). */
  readonly gzip?: boolean;
  /** Writes to standard output. */
  readonly writeStdout: (data: Uint8Array) => Promise<void>;
}

/**
 * Hands a WAL file found by `findWal` to restore_command: on standard output, or as
 * `DIR/<name>` written under a temporary name and renamed, so PostgreSQL never sees half a
 * segment. A file stored uncompressed is copied by the kernel (copy_file_range, or a reflink
 * where the file system has them) instead of passing through memory. Shared by the full CLI and
 * the lean path so the two cannot drift.
 */
export async function deliverWal(found: FoundWal, delivery: WalDelivery): Promise<void> {
  const directory = delivery.outputDirectory;
  if (directory !== undefined && !delivery.gzip) {
    await intoDirectory(directory, found.name, (temporary) => writeFoundWal(found, temporary));
    return;
  }
  const wal = await readFoundWal(found);
  const data = delivery.gzip ? gzipSync(wal.data, { level: 1 }) : wal.data;
  if (directory === undefined) await delivery.writeStdout(data);
  else
    await intoDirectory(directory, wal.name, (temporary) =>
      writeFile(temporary, data, { mode: 0o600 }),
    );
}

async function intoDirectory(
  directory: string,
  name: string,
  write: (temporary: string) => Promise<void>,
): Promise<void> {
  const path = join(directory, name);
  const temporary = temporaryNameFor(path);
  try {
    await write(temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    if (isBarkeepError(error)) throw error; // e.g. the stored file is gone: walNotFound
    throw ioError('cannot write WAL file', path, error);
  }
}

/**
 * PostgreSQL's restore_command treats exit 1 as "not there, try elsewhere" and a code above 125
 * as fatal: only a missing file exits 1; every real fault (a corrupt archive, an unreadable
 * catalog, a bad configuration) exits 2 or more, so recovery stops instead of skipping WAL.
 */
export function getWalExitCode(error: unknown, code: number): number {
  if (isBarkeepError(error, 'walNotFound')) return 1;
  return Math.min(Math.max(code, 2), 125);
}
