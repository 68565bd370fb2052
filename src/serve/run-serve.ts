import { ensureServerLayout, serverLayout } from '../catalog/server-layout.ts';
import type { BarkeepConfig, ServerConfig } from '../config/settings.ts';
import type { BarkeepInvocation } from '../cron/start-receiver.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { BackupScheduler } from './backup-scheduler.ts';
import { startHttpListener } from './http-listener.ts';
import { ServeMetrics } from './serve-metrics.ts';
import { type ServerStatusDocument, serverStatusDocument } from './serve-status.ts';
import { ServerHealthPoller } from './server-health.ts';
import { renderStatusPage } from './status-page.ts';
import { SupervisedReceiver } from './supervised-receiver.ts';
import { WalArchiverLoop } from './wal-archiver-loop.ts';

/** How to run `serve`. */
export interface ServeOptions {
  readonly logger: Logger;
  /** How to start barkeep's own commands (receive-wal, backup) as child processes. */
  readonly barkeep: BarkeepInvocation;
  /** Reads the configuration; called at start and on each reload. */
  readonly loadConfig: () => Promise<BarkeepConfig>;
}

/** A running `serve`. */
export interface ServeHandle {
  /** The status page's address, e.g. `http://127.0.0.1:9187/`. */
  readonly url: string;
  /** Re-reads the configuration and restarts the work of every server (SIGHUP). */
  reload(): Promise<void>;
  /** Stops everything cleanly (SIGTERM): receivers flushed, passes and backups ended. */
  stop(): Promise<void>;
}

/** The work `serve` does for one server. */
interface ServerWork {
  readonly server: ServerConfig;
  readonly archiver: WalArchiverLoop;
  readonly receiver: SupervisedReceiver | undefined;
  readonly scheduler: BackupScheduler | undefined;
  readonly health: ServerHealthPoller;
}

/**
 * `serve`: one long-running process for every active server. Continuous archive-wal (file-system
 * notifications and a periodic scan), a supervised receive-wal when `streaming_archiver` is on,
 * the backups `backup_schedule` asks for (retention after each), the checks every 30 s, and an
 * HTTP listener on `serve_listen` with `/metrics`, `/api/status` and a status page.
 */
export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const { logger, barkeep } = options;
  const metrics = new ServeMetrics();
  let config = await options.loadConfig();
  let work = await startWork(config, metrics, barkeep, logger);
  const documents = (): Promise<ServerStatusDocument[]> =>
    Promise.all(
      work.map((item) =>
        serverStatusDocument(item.server, {
          receiver: item.receiver?.state,
          archiver: item.archiver.state,
          scheduler: item.scheduler?.state,
          health: item.health.health,
        }),
      ),
    );
  const listen = config.global.serve_listen;
  let http: Awaited<ReturnType<typeof startHttpListener>>;
  try {
    http = await startHttpListener(
      listen,
      {
        metrics: async () => ({
          body: await metrics.render(await documents()),
          type: metrics.contentType,
        }),
        status: async () => ({
          generated_at: new Date().toISOString(),
          servers: await documents(),
        }),
        page: async () => renderStatusPage(await documents(), new Date()),
      },
      (error) => logger.error(`HTTP: ${error.message}`),
    );
  } catch (error) {
    await stopWork(work);
    throw new BarkeepError('operationFailed', {
      what: 'cannot listen',
      subject: `${listen.host}:${listen.port}`,
      why: (error as Error).message,
      hint: 'Set serve_listen = HOST:PORT in the global section to a free address.',
      cause: error,
    });
  }
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${http.port}/`;
  logger.info(`serve: ${work.length} server(s); status page ${url}, metrics ${url}metrics`);
  return {
    url,
    async reload() {
      const next = await options.loadConfig();
      await stopWork(work);
      config = next;
      work = await startWork(config, metrics, barkeep, logger);
      const changed = next.global.serve_listen;
      if (changed.host !== listen.host || changed.port !== listen.port)
        logger.warn('serve_listen changed: restart serve for the HTTP listener to move');
      logger.info(`serve: configuration reloaded, ${work.length} server(s)`);
    },
    async stop() {
      await new Promise<void>((resolve) => http.server.close(() => resolve()));
      http.server.closeAllConnections();
      await stopWork(work);
      logger.info('serve: stopped');
    },
  };
}

async function startWork(
  config: BarkeepConfig,
  metrics: ServeMetrics,
  barkeep: BarkeepInvocation,
  logger: Logger,
): Promise<ServerWork[]> {
  const work: ServerWork[] = [];
  for (const server of config.servers.values()) {
    if (!server.settings.active) continue;
    const log = logger.child({ server: server.name });
    await ensureServerLayout(serverLayout(server.name, server.settings));
    const schedule = server.settings.backup_schedule;
    const health = new ServerHealthPoller(server, log);
    const item: ServerWork = {
      server,
      archiver: new WalArchiverLoop(server, log, (seconds, archived) => {
        metrics.observe(server.name, 'archive-wal', seconds, true);
        // WAL arrived: checks that failed (no WAL yet, WAL waiting) are worth a new look now.
        if (archived > 0 && health.health.checks.some((check) => !check.ok)) void health.poll();
      }),
      receiver: server.settings.streaming_archiver
        ? new SupervisedReceiver(server, barkeep, log)
        : undefined,
      scheduler: schedule
        ? new BackupScheduler(server, schedule, barkeep, log, (seconds, ok) =>
            metrics.observe(server.name, 'backup', seconds, ok),
          )
        : undefined,
      health,
    };
    item.archiver.start();
    item.receiver?.start();
    item.scheduler?.start();
    item.health.start();
    work.push(item);
  }
  return work;
}

async function stopWork(work: readonly ServerWork[]): Promise<void> {
  await Promise.all(
    work.map(async (item) => {
      await item.scheduler?.stop();
      await item.receiver?.stop();
      await item.archiver.stop();
      await item.health.stop();
    }),
  );
}
