import { type ChildProcess, spawn } from 'node:child_process';
import type { ServerConfig } from '../config/settings.ts';
import type { BarkeepInvocation } from '../cron/start-receiver.ts';
import type { Logger } from '../logging/logger.ts';

/** What `serve` reports about one server's receiver. */
export interface ReceiverState {
  readonly state: 'running' | 'restarting' | 'stopped';
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly since: Date | undefined;
  /** The last line the receiver wrote on stderr before it ended, if it ended. */
  readonly lastError: string | undefined;
}

/** Backoff between restarts: doubles from 1 s up to 30 s, back to 1 s after a minute of running. */
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
const HEALTHY_MS = 60_000;

/**
 * Keeps `barkeep receive-wal SERVER` running as a child of `serve`: restarted with backoff when
 * it ends for any reason (a lost connection, a kill), its state and last error kept for the
 * status page and `/metrics`. `stop()` sends SIGTERM (the receiver sends CopyDone, flushes its
 * `.partial` and releases its lock) and waits for it.
 */
export class SupervisedReceiver {
  readonly #server: ServerConfig;
  readonly #barkeep: BarkeepInvocation;
  readonly #logger: Logger;
  #child: ChildProcess | undefined;
  #state: ReceiverState = {
    state: 'stopped',
    pid: undefined,
    restarts: 0,
    since: undefined,
    lastError: undefined,
  };
  #delay = FIRST_DELAY_MS;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(server: ServerConfig, barkeep: BarkeepInvocation, logger: Logger) {
    this.#server = server;
    this.#barkeep = barkeep;
    this.#logger = logger;
  }

  get state(): ReceiverState {
    return this.#state;
  }

  /** Starts the receiver now. */
  start(): void {
    this.#stopping = false;
    this.#spawn();
  }

  #spawn(): void {
    const args = [...this.#barkeep.args, 'receive-wal', this.#server.name];
    const child = spawn(this.#barkeep.program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    const started = Date.now();
    let lastLine = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = chunk.toString('utf8').trim().split('\n').filter(Boolean);
      if (lines.length > 0) lastLine = lines.at(-1)!;
    });
    child.once('spawn', () => {
      this.#state = { ...this.#state, state: 'running', pid: child.pid, since: new Date() };
      this.#logger.info(`receive-wal started (PID ${child.pid})`);
    });
    child.once('error', (error) => {
      lastLine = error.message;
    });
    child.once('close', (code, signal) => {
      this.#child = undefined;
      if (this.#stopping) {
        this.#state = { ...this.#state, state: 'stopped', pid: undefined };
        return;
      }
      if (Date.now() - started > HEALTHY_MS) this.#delay = FIRST_DELAY_MS;
      const why = lastLine || `exited with ${signal ?? `status ${code}`}`;
      this.#state = {
        ...this.#state,
        state: 'restarting',
        pid: undefined,
        restarts: this.#state.restarts + 1,
        lastError: why,
      };
      this.#logger.warn(`receive-wal ended (${why}); restarting in ${this.#delay / 1000} s`);
      this.#timer = setTimeout(() => this.#spawn(), this.#delay);
      this.#delay = Math.min(this.#delay * 2, MAX_DELAY_MS);
    });
  }

  /** Stops the receiver (SIGTERM, then SIGKILL after `graceMs`) and cancels any restart. */
  async stop(graceMs = 20_000): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.#state = { ...this.#state, state: 'stopped', pid: undefined };
      return;
    }
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await closed;
    clearTimeout(killer);
  }
}
