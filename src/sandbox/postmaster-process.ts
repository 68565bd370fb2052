import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { OsUser } from '../storage/os-user.ts';
import { logTail } from './log-tail.ts';
import { processesWithCwdUnder } from './process-table.ts';

/** What it takes to run one postmaster. */
export interface PostmasterLaunch {
  /** Directory holding the `postgres` binary. */
  readonly binDir: string;
  /** PGDATA. */
  readonly dataDir: string;
  /** File receiving the server's stdout and stderr (appended). */
  readonly logFile: string;
  /** TCP port, given on the command line so it can change between runs. */
  readonly port: number;
  /** Account to run as (when we are root); undefined runs as ourselves. */
  readonly osUser: OsUser | undefined;
  /** postgresql.conf outside PGDATA, passed as `-c config_file=...`; undefined: PGDATA's. */
  readonly configFile?: string | undefined;
  /** More server arguments, e.g. `-c unix_socket_directories=...` for a recovered copy. */
  readonly extraArgs?: readonly string[];
}

/**
 * One run of `postgres -D <data> [-c config_file=<file>]` started directly as our child (not
 * through pg_ctl) so we know its PID and see it exit. It leads its own process group, which lets
 * teardown kill the whole server at once and keeps a terminal's Ctrl-C from reaching it before
 * our cleanup runs.
 */
export class PostmasterProcess {
  /** The postmaster's PID (also its process group id). */
  readonly pid: number;
  /** Log size when this run started: the part of the log that belongs to it starts here. */
  readonly logOffset: number;
  readonly #launch: PostmasterLaunch;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #running = true;

  private constructor(launch: PostmasterLaunch, child: ChildProcess, logOffset: number) {
    this.#launch = launch;
    this.#child = child;
    this.pid = child.pid!;
    this.logOffset = logOffset;
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        this.#running = false;
        resolve();
      });
    });
    // A running server must not keep the process alive: the cleanup registry stops it at exit.
    child.unref();
  }

  /** Starts the postmaster; it is not accepting connections yet (see `waitUntilReady`). */
  static launch(launch: PostmasterLaunch): PostmasterProcess {
    const logFd = openSync(launch.logFile, 'a');
    let child: ChildProcess;
    try {
      const logOffset = fstatSync(logFd).size;
      child = spawn(
        join(launch.binDir, 'postgres'),
        [
          '-D',
          launch.dataDir,
          ...(launch.configFile === undefined ? [] : ['-c', `config_file=${launch.configFile}`]),
          '-p',
          String(launch.port),
          ...(launch.extraArgs ?? []),
        ],
        {
          cwd: launch.dataDir,
          detached: true,
          env: serverEnvironment(launch.osUser),
          stdio: ['ignore', logFd, logFd],
          ...(launch.osUser === undefined
            ? {}
            : { uid: launch.osUser.uid, gid: launch.osUser.gid }),
        },
      );
      if (child.pid === undefined) {
        throw new BarkeepError('operationFailed', {
          what: 'cannot start PostgreSQL',
          subject: launch.dataDir,
          why: `spawning ${join(launch.binDir, 'postgres')} failed`,
        });
      }
      child.on('error', () => {}); // reported through the exit and the log instead
      return new PostmasterProcess(launch, child, logOffset);
    } finally {
      closeSync(logFd);
    }
  }

  /** True until the postmaster has exited. */
  get running(): boolean {
    return this.#running;
  }

  /** The log written since this run started. */
  ownLog(): string {
    try {
      return readFileSync(this.#launch.logFile).subarray(this.logOffset).toString('utf8');
    } catch {
      return '';
    }
  }

  /**
   * Resolves once postmaster.pid says `ready` (or `standby`), as pg_ctl decides. Rejects with the
   * log tail when the server exits first or `timeoutMs` passes (then it is killed).
   */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pidFile = join(this.#launch.dataDir, 'postmaster.pid');
    for (;;) {
      if (!this.#running) throw this.#failure('the server exited during startup');
      const lines = readLog(pidFile).split('\n');
      const status = lines[7]?.trim();
      if (lines[0] === String(this.pid) && (status === 'ready' || status === 'standby')) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw this.#failure(`the server was not ready after ${timeoutMs / 1000} s`);
      }
      await sleep(25);
    }
  }

  /** Fast shutdown (SIGINT); SIGKILL after `timeoutMs`. Resolves when the server is gone. */
  async shutdown(timeoutMs = 30_000): Promise<void> {
    if (!this.#running) return;
    signal(this.pid, 'SIGINT');
    const timer = sleep(timeoutMs, undefined, { ref: false }).then(() => 'timeout' as const);
    if ((await Promise.race([this.#waitForExit(), timer])) === 'timeout') await this.kill();
  }

  /**
   * SIGKILLs the postmaster, as a crash would, and waits until its orphaned children have also
   * exited (they notice the postmaster's death within milliseconds), so a restart finds neither
   * a live process nor attached shared memory. Stragglers are SIGKILLed after 5 s.
   */
  async kill(): Promise<void> {
    signal(this.pid, 'SIGKILL');
    await this.#waitForExit();
    const deadline = Date.now() + 5_000;
    while (processesWithCwdUnder(this.#launch.dataDir).length > 0) {
      if (Date.now() > deadline) {
        signal(-this.pid, 'SIGKILL');
        for (const pid of processesWithCwdUnder(this.#launch.dataDir)) signal(pid, 'SIGKILL');
        await sleep(50);
        return;
      }
      await sleep(10);
    }
  }

  /** Emergency teardown from an exit hook: SIGKILL the whole process group, synchronously. */
  killSync(): void {
    signal(-this.pid, 'SIGKILL');
    signal(this.pid, 'SIGKILL');
  }

  /** Waits for the exit, keeping the event loop alive meanwhile (the child is unref'd). */
  async #waitForExit(): Promise<void> {
    this.#child.ref();
    try {
      await this.#exited;
    } finally {
      this.#child.unref();
    }
  }

  #failure(why: string): BarkeepError {
    return new BarkeepError('operationFailed', {
      what: 'cannot start PostgreSQL',
      subject: this.#launch.dataDir,
      why: `${why}; log tail:\n${logTail(this.ownLog())}`,
      hint: `See ${this.#launch.logFile}.`,
    });
  }
}

function serverEnvironment(osUser: OsUser | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PG')) env[key] = value;
  }
  env['LC_ALL'] = 'C';
  if (osUser !== undefined) {
    // barkeep run by archive_command cannot write root's coverage directory. An empty value, not
    // a deleted one: Node copies the variable back into a child's environment when it is absent.
    env['NODE_V8_COVERAGE'] = '';
    env['HOME'] = osUser.home;
    env['USER'] = osUser.name;
    env['LOGNAME'] = osUser.name;
  }
  return env;
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
