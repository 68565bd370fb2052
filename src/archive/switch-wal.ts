import { access } from 'node:fs/promises';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { openConnection, runQuery } from '../postgres/connect.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';
import { archiveIncoming } from './archive-incoming.ts';
import { storedPath } from './store-wal-file.ts';
import { xlogDbTailHas } from './xlog-db.ts';

/** Options of switch-wal, as Barman names them. */
export interface SwitchWalOptions {
  /** CHECKPOINT first, so that there is WAL to switch even on an idle server. */
  readonly force?: boolean;
  /** Wait until the closed segment is in `wals/`. */
  readonly archive?: boolean;
  /** How long to wait with `archive`, in seconds (Barman's default: 30). */
  readonly archiveTimeoutSeconds?: number;
  readonly signal?: AbortSignal;
}

/** What switch-wal did: the segment it closed (none when there was nothing to switch). */
export interface SwitchWalResult {
  readonly closedSegment: string | undefined;
  readonly archived: boolean;
}

/**
 * `switch-wal`: closes the current WAL segment with pg_switch_wal() so it gets archived now
 * rather than when it fills up. With `archive`, waits until that segment is stored in `wals/`,
 * moving `incoming/` and `streaming/` into the archive itself while it waits (unless another
 * archive-wal pass holds the lock), and fails with a clear error on timeout.
 */
export async function switchWal(
  server: ServerConfig,
  options: SwitchWalOptions,
  logger: Logger,
): Promise<SwitchWalResult> {
  const conninfo = server.settings.conninfo;
  if (!conninfo) {
    throw new BarkeepError('configInvalidValue', {
      what: 'cannot switch WAL',
      subject: server.name,
      why: 'conninfo is not set',
    });
  }
  const client = await openConnection(conninfo, { applicationName: 'barkeep', timeoutMs: 10_000 });
  let closedSegment: string | undefined;
  try {
    if (options.force) await runQuery(client, 'CHECKPOINT');
    const [before] = await runQuery<{ name: string }>(
      client,
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    await runQuery(client, 'SELECT pg_switch_wal()');
    const [after] = await runQuery<{ name: string }>(
      client,
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    closedSegment = before?.name !== after?.name ? before?.name : undefined;
  } finally {
    await client.end();
  }
  if (closedSegment === undefined) {
    logger.info(
      `no switch required for server ${server.name}: nothing was written since the last switch (use --force)`,
    );
    return { closedSegment, archived: false };
  }
  logger.info(`the WAL file ${closedSegment} has been closed on server ${server.name}`);
  if (!options.archive) return { closedSegment, archived: false };
  await waitUntilArchived(server, closedSegment, options, logger);
  return { closedSegment, archived: true };
}

async function waitUntilArchived(
  server: ServerConfig,
  segment: string,
  options: SwitchWalOptions,
  logger: Logger,
): Promise<void> {
  const parsed = parseWalFileName(segment)!;
  const layout = serverLayout(server.name, server.settings);
  const path = storedPath(layout, parsed);
  const timeoutSeconds = options.archiveTimeoutSeconds ?? 30;
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    options.signal?.throwIfAborted();
    // Archived means stored and indexed: the file is renamed into place before its xlog.db line
    // is appended, and a caller that reads the index next (a listing, serve's metrics) must
    // find it there. The newest lines are enough (1 MiB: some 15,000 of them).
    if ((await exists(path)) && (await xlogDbTailHas(layout, segment, 1024 * 1024))) {
      logger.info(`the WAL file ${segment} has been archived in ${path}`);
      return;
    }
    if (Date.now() >= deadline) {
      throw new BarkeepError('operationFailed', {
        what: 'WAL segment not archived in time',
        subject: segment,
        why: `it did not reach ${path} within ${timeoutSeconds} s`,
        hint: `Check archive_command and 'barkeep check ${server.name}'; raise --archive-timeout on a slow link.`,
      });
    }
    try {
      await archiveIncoming(server, logger);
    } catch (error) {
      if (!isBarkeepError(error, 'lockHeld')) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
