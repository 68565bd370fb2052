import { open, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { storedPath } from '../archive/store-wal-file.ts';
import { acquireXlogDbLock, parseXlogDbLine, type XlogDbEntry } from '../archive/xlog-db.ts';
import type { ServerLayout } from '../catalog/server-layout.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { fsyncDirectory, writeFileDurable } from '../storage/durable-write.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';

/** What a WAL pruning did, or would do in a dry run. */
export interface WalPruning {
  /** The xlog.db entries of the files removed (or to remove), in index order. */
  readonly removed: readonly XlogDbEntry[];
  /** Bytes of those files as stored. */
  readonly bytes: number;
  /** Files that stay indexed. */
  readonly kept: number;
}

/**
 * Removes the archived WAL files `removable` selects, with their xlog.db lines, under the
 * server's xlogdb lock (archivers wait for it for the few milliseconds this takes). The files
 * go first, each `<timeline+log>` directory left empty with them, then xlog.db is rewritten
 * durably (temporary file, fsync, rename, fsync of `wals/`): a crash in between leaves lines
 * of files already gone, which the next pass removes again, never a file the index forgot.
 * Lines that do not parse are kept as they are. With `dryRun` nothing changes and the result
 * says what would go.
 */
export async function pruneWal(
  layout: ServerLayout,
  removable: (name: string) => boolean,
  dryRun: boolean,
): Promise<WalPruning> {
  const lock = dryRun ? undefined : await acquireXlogDbLock(layout);
  try {
    const lines = await readLines(layout.xlogDb);
    const keptLines: string[] = [];
    const removed: XlogDbEntry[] = [];
    for (const line of lines) {
      const entry = parseXlogDbLine(line);
      if (entry && parseWalFileName(entry.name) && removable(entry.name)) removed.push(entry);
      else if (line.trim() !== '') keptLines.push(line);
    }
    const bytes = removed.reduce((sum, entry) => sum + entry.size, 0);
    if (!dryRun && removed.length > 0) {
      await removeFiles(layout, removed);
      await writeFileDurable(layout.xlogDb, keptLines.map((line) => `${line}\n`).join(''), {
        mode: 0o600,
      });
    }
    return { removed, bytes, kept: keptLines.length };
  } finally {
    await lock?.release();
  }
}

async function readLines(path: string): Promise<string[]> {
  try {
    const handle = await open(path, 'r');
    try {
      return (await handle.readFile('utf8')).split('\n');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('cannot read WAL index', path, error);
  }
}

async function removeFiles(layout: ServerLayout, entries: readonly XlogDbEntry[]): Promise<void> {
  const directories = new Set<string>();
  for (const entry of entries) {
    const path = storedPath(layout, parseWalFileName(entry.name)!);
    try {
      await rm(path, { force: true });
    } catch (error) {
      throw ioError('cannot remove WAL file', path, error);
    }
    directories.add(dirname(path));
  }
  for (const directory of directories) {
    if (directory === layout.wals) continue;
    try {
      await rmdir(directory);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') await fsyncDirectory(directory);
      else if (code !== 'ENOENT') throw ioError('cannot remove WAL directory', directory, error);
    }
  }
  await fsyncDirectory(layout.wals);
}
