import { spawn } from 'node:child_process';
import type { ServerConfig } from '../config/settings.ts';
import type { BarkeepInvocation } from '../cron/start-receiver.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { type BackupSchedule, nextBackupTime } from './backup-schedule.ts';

/** What the scheduler of one server reports. */
export interface ScheduledBackupState {
  readonly schedule: string;
  readonly next: Date | undefined;
  readonly running: boolean;
  readonly lastRun:
    | { readonly at: Date; readonly ok: boolean; readonly detail: string }
    | undefined;
}

/** setTimeout takes at most 2^31-1 ms; a far schedule is re-armed every hour. */
const MAX_WAIT_MS = 3_600_000;

/**
 * Takes the backups `backup_schedule` asks for: `barkeep backup SERVER` as a child process at
 * each time the cron expression matches (a time that comes while a backup still runs is
 * skipped, as cron would pile them up), then retention for the server. `onRun` gets each
 * backup's duration and outcome, for the metrics.
 */
export class BackupScheduler {
  readonly #server: ServerConfig;
  readonly #schedule: BackupSchedule;
  readonly #barkeep: BarkeepInvocation;
  readonly #logger: Logger;
  readonly #onRun: (seconds: number, ok: boolean) => void;
  #timer: NodeJS.Timeout | undefined;
  #next: Date | undefined;
  #child: ReturnType<typeof spawn> | undefined;
  #running: Promise<void> | undefined;
  #lastRun: ScheduledBackupState['lastRun'];
  #stopped = false;

  constructor(
    server: ServerConfig,
    schedule: BackupSchedule,
    barkeep: BarkeepInvocation,
    logger: Logger,
    onRun: (seconds: number, ok: boolean) => void,
  ) {
    this.#server = server;
    this.#schedule = schedule;
    this.#barkeep = barkeep;
    this.#logger = logger;
    this.#onRun = onRun;
  }

  get state(): ScheduledBackupState {
    return {
      schedule: this.#schedule.text,
      next: this.#next,
      running: this.#running !== undefined,
      lastRun: this.#lastRun,
    };
  }

  /** Arms the timer for the next time the schedule matches. */
  start(): void {
    if (this.#stopped) return;
    this.#next = nextBackupTime(this.#schedule, new Date());
    if (!this.#next) {
      this.#logger.warn(`backup_schedule '${this.#schedule.text}' never matches a date`);
      return;
    }
    const wait = Math.min(this.#next.getTime() - Date.now(), MAX_WAIT_MS);
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, wait));
  }

  #fire(): void {
    if (this.#stopped) return;
    if (this.#next && this.#next.getTime() > Date.now() + 50) {
      this.start(); // a far time, re-armed hourly: not there yet
      return;
    }
    if (this.#running) this.#logger.warn('scheduled backup skipped: the previous one still runs');
    else this.#running = this.#backup().finally(() => (this.#running = undefined));
    this.start();
  }

  async #backup(): Promise<void> {
    const started = Date.now();
    this.#logger.info(`scheduled backup of ${this.#server.name} starts`);
    const args = [...this.#barkeep.args, '-q', 'backup', this.#server.name];
    const child = spawn(this.#barkeep.program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    let lastLine = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = chunk.toString('utf8').trim().split('\n').filter(Boolean);
      if (lines.length > 0) lastLine = lines.at(-1)!;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', (error) => {
        lastLine = error.message;
        resolve(null);
      });
      child.once('close', (status) => resolve(status));
    });
    this.#child = undefined;
    const ok = code === 0;
    const seconds = (Date.now() - started) / 1000;
    this.#onRun(seconds, ok);
    this.#lastRun = { at: new Date(), ok, detail: ok ? 'DONE' : lastLine || `exit ${code}` };
    if (!ok) {
      this.#logger.error(`scheduled backup failed: ${this.#lastRun.detail}`);
      return;
    }
    this.#logger.info(`scheduled backup done in ${seconds.toFixed(1)} s; applying retention`);
    try {
      const { applyRetention } = await import('../retention/apply-retention.ts');
      await applyRetention(this.#server, { logger: this.#logger });
    } catch (error) {
      this.#logger.error(`retention: ${isBarkeepError(error) ? error.toLine() : String(error)}`);
    }
  }

  /** Cancels the timer; a running backup is stopped (SIGTERM: it is recorded FAILED). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#child?.kill('SIGTERM');
    await this.#running;
  }
}
