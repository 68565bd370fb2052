import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lockPath } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { Logger } from '../logging/logger.ts';
import { fsyncDirectory } from '../storage/durable-write.ts';
import { acquireLock } from '../storage/process-lock.ts';
import { moveToErrors } from './errors-directory.ts';
import { archiveTarget } from './put-wal.ts';
import {
  type ArchiveTarget,
  type OfferedWalFile,
  type StoreOutcome,
  storeWalFile,
} from './store-wal-file.ts';
import { WalRejection } from './wal-rejection.ts';
import { appendXlogDb, type XlogDbEntry, xlogDbTailHas } from './xlog-db.ts';

/** What one archive-wal pass did. */
export interface ArchivePassResult {
  readonly archived: string[];
  /** Files already archived with the same content (removed from incoming/ or streaming/). */
  readonly alreadyArchived: string[];
  /** Files moved to errors/, with the reason. */
  readonly rejected: { readonly name: string; readonly keptAs: string; readonly reason: string }[];
  /** Files left in place for the next pass (still being written). */
  readonly deferred: string[];
  /** Set when a pre_archive_retry_script exited 63: the pass stopped there (the reason). */
  stopped?: string;
}

/** How many files are stored before their index lines are written and their sources removed. */
const BATCH = 32;

interface Source {
  readonly name: string;
  readonly path: string;
  readonly directory: string;
}

/**
 * `archive-wal SERVER`: stores every file in `incoming/` (put there by an rsync/cp
 * archive_command) and every completed segment in `streaming/` exactly as put-wal would. A
 * source is removed only after its stored copy and its xlog.db line are durable, so a kill -9
 * at any moment loses nothing and the next pass completes the work. Rejected files move to
 * `errors/` with Barman's suffixes. Holds the server's archive-wal lock (a second pass exits 4).
 */
export async function archiveIncoming(
  server: ServerConfig,
  logger: Logger,
): Promise<ArchivePassResult> {
  const target = await archiveTarget(server, logger);
  const lock = await acquireLock(lockPath(target.layout, 'archive-wal'), 'archive-wal');
  try {
    const sources = [
      ...(await listSources(target.layout.incoming, () => true)),
      ...(await listSources(target.layout.streaming, (name) => !name.endsWith('.partial'))),
    ].sort((a, b) => a.name.localeCompare(b.name));
    const result: ArchivePassResult = {
      archived: [],
      alreadyArchived: [],
      rejected: [],
      deferred: [],
    };
    for (let start = 0; start < sources.length && !result.stopped; start += BATCH) {
      await archiveBatch(sources.slice(start, start + BATCH), target, logger, result);
    }
    return result;
  } finally {
    await lock.release();
  }
}

async function archiveBatch(
  batch: Source[],
  target: ArchiveTarget,
  logger: Logger,
  result: ArchivePassResult,
): Promise<void> {
  const entries: XlogDbEntry[] = [];
  const done: Source[] = [];
  for (const source of batch) {
    let data: Buffer;
    let mtimeMs: number;
    try {
      [data, mtimeMs] = await Promise.all([
        readFile(source.path),
        stat(source.path).then((info) => info.mtimeMs),
      ]);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue; // taken by a concurrent put-wal or pass
      throw ioError('cannot read WAL file', source.path, error);
    }
    try {
      const outcome = await storeHooked(
        source,
        { name: source.name, data, mtimeMs },
        target,
        logger,
      );
      if (outcome.kind === 'stored') {
        entries.push(outcome.entry);
        result.archived.push(source.name);
      } else {
        // A crash between storing and indexing leaves the line out: add it back. A name met
        // twice in one batch (in incoming/ and in streaming/) is not indexed yet: skip it then.
        const pending = entries.some((entry) => entry.name === source.name);
        if (!pending && !(await xlogDbTailHas(target.layout, source.name)))
          entries.push(outcome.entry);
        result.alreadyArchived.push(source.name);
      }
      done.push(source);
    } catch (error) {
      if (isBarkeepError(error, 'hookAborted')) {
        // Barman's archiver stops the pass; the file stays for the next one.
        result.stopped = error.toLine();
        logger.warn(`archiving stopped at ${source.name}: ${error.why}`);
        break;
      }
      if (!(error instanceof WalRejection)) throw error;
      if (error.maybeIncomplete) {
        result.deferred.push(source.name);
        logger.warn(
          `${source.path} looks incomplete and is recent; left for the next pass (${error.why})`,
        );
        continue;
      }
      const keptAs = await moveToErrors(target.layout, source.path, source.name, error.suffix);
      result.rejected.push({ name: source.name, keptAs, reason: error.why });
      logger.error(`${error.toLine()} Moved to ${keptAs}.`);
    }
  }
  await appendXlogDb(target.layout, entries);
  for (const source of done) await rm(source.path, { force: true });
  for (const directory of new Set(done.map((source) => source.directory)))
    await fsyncDirectory(directory);
}

/** storeWalFile, between the archive hooks when any is configured (loaded only then). */
async function storeHooked(
  source: Source,
  file: OfferedWalFile,
  target: ArchiveTarget,
  logger: Logger,
): Promise<StoreOutcome> {
  const { hooks } = target;
  if (!hooks) return storeWalFile(file, target);
  const { storeWithArchiveHooks } = await import('../hooks/archive-hooks.ts');
  const facts = {
    name: file.name,
    sourcePath: source.path,
    size: file.data.length,
    mtimeMs: file.mtimeMs,
  };
  return storeWithArchiveHooks({ ...target, hooks }, facts, logger, () =>
    storeWalFile(file, target),
  );
}

async function listSources(
  directory: string,
  accept: (name: string) => boolean,
): Promise<Source[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('cannot list directory', directory, error);
  }
  const sources: Source[] = [];
  for (const name of names) {
    // Dot names are temporary files of rsync and of our own writers.
    if (name.startsWith('.') || !accept(name)) continue;
    const path = join(directory, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) sources.push({ name, path, directory });
  }
  return sources;
}
