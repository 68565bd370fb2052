import { expectedSystemId } from '../archive/expected-system-id.ts';
import { ensureServerLayout, lockPath, serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { isServerError } from '../postgres/connect-failure.ts';
import { acquireLock } from '../storage/process-lock.ts';
import type { Lsn } from '../wal/lsn.ts';
import type { TimelineId } from '../wal/timeline.ts';
import { runStreamSession } from './stream-session.ts';

/** What `receive-wal` needs beyond the server's settings. */
export interface ReceiveWalOptions {
  readonly logger: Logger;
  /** Aborted by SIGINT/SIGTERM or `receive-wal --stop`: stop cleanly. */
  readonly signal: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  readonly onFlush?: (flushed: Lsn, timeline: TimelineId) => void;
  /** Longest wait between reconnection attempts, in milliseconds (default 30 s). */
  readonly maxBackoffMs?: number;
}

/** The default application_name of the receiver, to list in synchronous_standby_names. */
export const defaultReceiverName = 'barkeep_receive_wal';

/**
 * `receive-wal SERVER`: the native streaming receiver. Holds the server's receive-wal lock (one
 * receiver per server; `--stop` finds it there), then streams in sessions: when the connection
 * drops or the server restarts, it reconnects with a growing delay (1 s up to 30 s) and resumes
 * from what is on disk, so nothing is lost or duplicated. Returns when stopped; throws on a
 * problem that retrying cannot fix (wrong cluster, missing slot, WAL ahead of the server).
 */
export async function receiveWal(server: ServerConfig, options: ReceiveWalOptions): Promise<void> {
  const settings = server.settings;
  const conninfo = settings.streaming_conninfo ?? settings.conninfo;
  if (!conninfo) {
    throw new BarkeepError('configInvalidValue', {
      what: 'cannot stream WAL',
      subject: server.name,
      why: 'neither streaming_conninfo nor conninfo is set',
    });
  }
  const layout = serverLayout(server.name, settings);
  await ensureServerLayout(layout);
  const lock = await acquireLock(lockPath(layout, 'receive-wal'), 'receive-wal');
  const logger = options.logger.child({ server: server.name });
  try {
    const systemIdentifier = await expectedSystemId(layout, settings.conninfo ?? conninfo, logger);
    const maxBackoffMs = options.maxBackoffMs ?? 30_000;
    const firstDelay = Math.min(1000, maxBackoffMs);
    let delay = firstDelay;
    while (!options.signal.aborted) {
      const started = Date.now();
      try {
        await runStreamSession({
          layout,
          conninfo,
          applicationName: settings.streaming_archiver_name ?? defaultReceiverName,
          slotName: settings.slot_name,
          createSlot: settings.create_slot,
          systemIdentifier,
          logger,
          signal: options.signal,
          ...(options.env ? { env: options.env } : {}),
          ...(options.onFlush ? { onFlush: options.onFlush } : {}),
        });
        return;
      } catch (error) {
        if (options.signal.aborted) return;
        if (!isRetryable(error)) throw refusal(error, server.name);
        if (Date.now() - started > 60_000) delay = firstDelay; // it streamed for a while: start over
        logger.warn(
          `streaming interrupted (${describe(error)}); reconnecting in ${delay / 1000} s`,
        );
        await sleep(delay, options.signal);
        delay = Math.min(delay * 2, maxBackoffMs);
      }
    }
  } finally {
    await lock.release();
  }
}

/**
 * Connection trouble is retried: a dropped socket, the server shutting down or restarting,
 * too many connections. Anything barkeep or the server refuses on purpose is not.
 */
export function isRetryable(error: unknown): boolean {
  if (isBarkeepError(error)) return error.kind === 'postgresConnection';
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return true; // a socket-level error: the connection is gone
  return (
    code.startsWith('08') ||
    [
      '57P01',
      '57P02',
      '57P03',
      '53300',
      'ECONNRESET',
      'ECONNREFUSED',
      'EPIPE',
      'ETIMEDOUT',
    ].includes(code)
  );
}

/**
 * An error the server sent while streaming that retrying cannot fix (the WAL asked for was
 * already removed, the slot is in use, the timeline is not in the server's history), as barkeep
 * reports it; anything else as it is.
 */
function refusal(error: unknown, server: string): unknown {
  if (isBarkeepError(error) || !isServerError(error)) return error;
  const { message, code } = error as Error & { code: string };
  return new BarkeepError('postgresQuery', {
    what: 'streaming refused by the server',
    subject: server,
    why: `${message} (SQLSTATE ${code})`,
    hint: `See the PostgreSQL log for the reason; 'barkeep check ${server}' lists what streaming needs.`,
    cause: error,
  });
}

function describe(error: unknown): string {
  if (isBarkeepError(error)) return error.why;
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
