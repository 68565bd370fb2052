import { ensureServerLayout, serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { type BarkeepInvocation, startReceiverProcess } from './start-receiver.ts';

/** What one cron pass did for one server. */
export interface CronServerOutcome {
  readonly server: string;
  /** WAL files archive-wal stored, and rejected (moved to errors/). */
  readonly archived: number;
  readonly rejected: number;
  /** The receiver: already running (its PID), started now (its PID), or not wanted. */
  readonly receiver:
    | { readonly state: 'running' | 'started'; readonly pid: number }
    | { readonly state: 'off' };
  /** Backups and WAL files retention deleted (0 when no policy is set). */
  readonly deletedBackups: number;
  readonly removedWal: number;
  /** Steps left for the next pass because another barkeep process held their lock. */
  readonly skipped: readonly string[];
  /** Steps that failed, one line each (the pass went on with the next step and server). */
  readonly failures: readonly string[];
}

/**
 * One maintenance pass over the given servers, as Barman's `cron`: for each, archive-wal (when
 * WAL is archived or streamed), start receive-wal in the background when `streaming_archiver`
 * is on and no receiver runs, then retention. Meant to run every minute from the system's cron
 * while other commands run: a step whose lock another barkeep process holds is skipped (done by
 * that process, or by the next pass), and a failing step is reported without stopping the rest.
 */
export async function runCron(
  servers: readonly ServerConfig[],
  options: { readonly logger: Logger; readonly barkeep: BarkeepInvocation },
): Promise<CronServerOutcome[]> {
  const outcomes: CronServerOutcome[] = [];
  for (const server of servers) outcomes.push(await cronServer(server, options));
  return outcomes;
}

async function cronServer(
  server: ServerConfig,
  options: { readonly logger: Logger; readonly barkeep: BarkeepInvocation },
): Promise<CronServerOutcome> {
  const logger = options.logger.child({ server: server.name });
  const settings = server.settings;
  const skipped: string[] = [];
  const failures: string[] = [];
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if (isBarkeepError(error, 'lockHeld')) {
        skipped.push(name);
        logger.info(`${name} skipped: ${error.why}`);
        return undefined;
      }
      const line = isBarkeepError(error) ? error.toLine() : String(error);
      failures.push(`${name}: ${line}`);
      logger.error(`${name} failed: ${line}`);
      return undefined;
    }
  };

  await ensureServerLayout(serverLayout(server.name, settings));
  let archived = 0;
  let rejected = 0;
  if (settings.archiver || settings.streaming_archiver) {
    const { archiveIncoming } = await import('../archive/archive-incoming.ts');
    const pass = await step('archive-wal', () => archiveIncoming(server, logger));
    archived = pass?.archived.length ?? 0;
    rejected = pass?.rejected.length ?? 0;
  }

  let receiver: CronServerOutcome['receiver'] = { state: 'off' };
  if (settings.streaming_archiver) {
    const { runningReceiver } = await import('../streaming/receiver-control.ts');
    const running = await runningReceiver(server);
    if (running) receiver = { state: 'running', pid: running.pid };
    else {
      const pid = await step('receive-wal', async () =>
        startReceiverProcess(server, options.barkeep),
      );
      if (pid !== undefined) {
        receiver = { state: 'started', pid };
        logger.info(`started receive-wal (PID ${pid})`);
      }
    }
  }

  const { applyRetention } = await import('../retention/apply-retention.ts');
  const retention = await step('retention', () => applyRetention(server, { logger }));
  return {
    server: server.name,
    archived,
    rejected,
    receiver,
    deletedBackups: retention?.deletedBackups.length ?? 0,
    removedWal: retention?.removedWal.length ?? 0,
    skipped,
    failures,
  };
}
