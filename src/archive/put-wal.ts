import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ensureServerLayout, serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { ioError } from '../errors/system-error.ts';
import { configuredHooks } from '../hooks/hook-settings.ts';
import type { Logger } from '../logging/logger.ts';
import { keepCopyInErrors } from './errors-directory.ts';
import { expectedSystemId } from './expected-system-id.ts';
import {
  type ArchiveTarget,
  type OfferedWalFile,
  type StoreOutcome,
  storeWalFile,
} from './store-wal-file.ts';
import { streamWalFile } from './stream-wal-file.ts';
import { WalRejection } from './wal-rejection.ts';
import { appendXlogDb, xlogDbTailHas } from './xlog-db.ts';

/**
 * The archive target of a server: its catalog, its WAL compression and the system identifier
 * its WAL must carry (learned on first contact).
 */
export async function archiveTarget(server: ServerConfig, logger: Logger): Promise<ArchiveTarget> {
  const layout = serverLayout(server.name, server.settings);
  await ensureServerLayout(layout);
  return {
    server: server.name,
    layout,
    compression: server.settings.compression ?? 'none',
    systemIdentifier: await expectedSystemId(layout, server.settings.conninfo, logger),
    hooks: configuredHooks(server.settings, 'archive', server.file),
  };
}

/**
 * `put-wal SERVER FILE`, the archive_command path: read the file PostgreSQL hands over, verify
 * and store it (see storeWalFile), and index it in xlog.db. A rejected duplicate is also kept in
 * `errors/` for the operator; PostgreSQL keeps its copy and retries, so nothing is lost.
 */
export async function putWalFile(
  server: ServerConfig,
  path: string,
  logger: Logger,
): Promise<StoreOutcome> {
  const target = await archiveTarget(server, logger);
  if (!target.hooks) {
    // The common case, streamed without holding the segment in memory (see streamWalFile);
    // anything unusual (a rejection, a name already stored) takes the whole-file path below.
    const streamed = await streamWalFile(path, basename(path), target);
    if (streamed) {
      await appendXlogDb(target.layout, [streamed.entry]);
      logger.debug(`archived ${streamed.entry.name}`, {
        path: streamed.path,
        size: streamed.entry.size,
      });
      return streamed;
    }
  }
  let data: Buffer;
  let mtimeMs: number;
  try {
    [data, mtimeMs] = await Promise.all([readFile(path), stat(path).then((info) => info.mtimeMs)]);
  } catch (error) {
    throw ioError('cannot read WAL file', path, error);
  }
  return storeAndIndex({ name: basename(path), data, mtimeMs }, target, logger, resolve(path));
}

/**
 * Stores one offered file and indexes it; shared by put-wal's two forms (a path, or Barman's
 * tar stream). A file already archived identically is indexed again only when a crash left its
 * line out. With archive hooks configured, they run around it (hooks/archive-hooks.ts).
 */
export async function storeAndIndex(
  file: OfferedWalFile,
  target: ArchiveTarget,
  logger: Logger,
  sourcePath?: string,
): Promise<StoreOutcome> {
  const { hooks } = target;
  if (hooks) {
    // Only loaded when an archive hook is configured: put-wal's hot path stays as it is.
    const { storeWithArchiveHooks } = await import('../hooks/archive-hooks.ts');
    const facts = { name: file.name, sourcePath, size: file.data.length, mtimeMs: file.mtimeMs };
    return storeWithArchiveHooks({ ...target, hooks }, facts, logger, () =>
      storeAndIndexFile(file, target, logger),
    );
  }
  return storeAndIndexFile(file, target, logger);
}

async function storeAndIndexFile(
  file: OfferedWalFile,
  target: ArchiveTarget,
  logger: Logger,
): Promise<StoreOutcome> {
  let outcome: StoreOutcome;
  try {
    outcome = await storeWalFile(file, target);
  } catch (error) {
    if (error instanceof WalRejection && error.suffix === 'duplicate') {
      const kept = await keepCopyInErrors(target.layout, file.name, file.data, 'duplicate');
      logger.error(`${file.name}: ${error.why}; the offered file was kept as ${kept}`);
    }
    throw error;
  }
  if (outcome.kind === 'stored') {
    await appendXlogDb(target.layout, [outcome.entry]);
    logger.debug(`archived ${file.name}`, { path: outcome.path, size: outcome.entry.size });
  } else {
    if (!(await xlogDbTailHas(target.layout, file.name)))
      await appendXlogDb(target.layout, [outcome.entry]);
    logger.info(`${file.name} is already archived with the same content; nothing changed`);
  }
  return outcome;
}
