import { runServerChecks } from '../check/run-server-checks.ts';
import { receiverSender } from '../check/streaming-checks.ts';
import type { ServerConfig } from '../config/settings.ts';
import type { Logger } from '../logging/logger.ts';
import { probeServer } from '../postgres/probe-server.ts';

/** The last health check of one server, as the status page and `/metrics` show it. */
export interface ServerHealth {
  readonly checkedAt: Date | undefined;
  readonly checks: readonly {
    readonly name: string;
    readonly ok: boolean;
    readonly hint?: string;
  }[];
  /** Bytes the receiver's flush position is behind the server's current WAL position. */
  readonly receiverLagBytes: number | undefined;
}

/** How often `serve` runs the checks of each server. */
const CHECK_INTERVAL_MS = 30_000;

/**
 * Runs `check` for one server now and every 30 s, and reads the receiver's lag from
 * pg_stat_replication; keeps the latest results. A check that cannot run is a failed check, never
 * an exception: the status page shows it.
 */
export class ServerHealthPoller {
  readonly #server: ServerConfig;
  readonly #logger: Logger;
  #health: ServerHealth = { checkedAt: undefined, checks: [], receiverLagBytes: undefined };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(server: ServerConfig, logger: Logger) {
    this.#server = server;
    this.#logger = logger;
  }

  get health(): ServerHealth {
    return this.#health;
  }

  start(): void {
    this.poll();
    this.#timer = setInterval(() => this.poll(), CHECK_INTERVAL_MS);
  }

  /** Runs the checks now unless a run is in progress; resolves when it ends. */
  poll(): Promise<void> {
    this.#running ??= this.#check().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #check(): Promise<void> {
    let checks: ServerHealth['checks'];
    try {
      checks = (await runServerChecks(this.#server, { logger: this.#logger })).results;
    } catch (error) {
      checks = [{ name: 'check', ok: false, hint: (error as Error).message }];
    }
    let receiverLagBytes: number | undefined;
    if (this.#server.settings.streaming_archiver && this.#server.settings.conninfo) {
      try {
        const { replication } = await probeServer(this.#server.settings.conninfo);
        receiverLagBytes = receiverSender(this.#server, replication)?.flushLagBytes;
      } catch {
        // The server is down: the checks above say so.
      }
    }
    this.#health = { checkedAt: new Date(), checks, receiverLagBytes };
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
