import { appendFileSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import pg from 'pg';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import type { OsUser } from '../storage/os-user.ts';
import { type EmergencyCleanup, sandboxCleanup } from './cleanup-registry.ts';
import type { ClusterLayout } from './cluster-layout.ts';
import { findFreePort } from './free-port.ts';
import { formatConninfo } from './libpq-conninfo.ts';
import type { PostgresBinaries } from './postgres-binaries.ts';
import { PostmasterProcess } from './postmaster-process.ts';
import { processesWithCwdUnder } from './process-table.ts';
import type { ConninfoOptions, ThrowawayCluster } from './throwaway-cluster.ts';

/** How long a server may take to accept connections. */
const startTimeoutMs = 30_000;
/** Attempts with a new port when another process took ours before the server bound it. */
const portAttempts = 5;

/**
 * The `ThrowawayCluster` implementation: owns the cluster's sandbox directory and its successive
 * postmasters, and registers itself with the cleanup registry for emergency teardown.
 */
export class SandboxCluster implements ThrowawayCluster, EmergencyCleanup {
  readonly host = '127.0.0.1' as const;
  readonly major: number;
  readonly binDir: string;
  readonly baseDir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  readonly configFile: string;
  readonly configDir: string | undefined;
  readonly osUser: string;
  readonly #account: OsUser | undefined;
  readonly #portIsFixed: boolean;
  #port: number;
  #postmaster: PostmasterProcess | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    binaries: PostgresBinaries,
    layout: ClusterLayout,
    account: OsUser | undefined,
    port: number,
    portIsFixed: boolean,
  ) {
    this.major = binaries.major;
    this.binDir = binaries.binDir;
    ({ baseDir: this.baseDir, dataDir: this.dataDir, socketDir: this.socketDir } = layout);
    this.logFile = layout.logFile;
    this.configFile = layout.configFile;
    this.configDir = layout.configDir;
    this.#account = account;
    this.osUser = account?.name ?? userInfo().username;
    this.#port = port;
    this.#portIsFixed = portIsFixed;
  }

  get port(): number {
    return this.#port;
  }

  get pid(): number {
    return this.#postmaster?.pid ?? 0;
  }

  conninfo(options: ConninfoOptions = {}): string {
    return formatConninfo({
      host: this.host,
      port: this.#port,
      user: options.user ?? 'postgres',
      dbname: options.dbname ?? 'postgres',
      password: options.password,
    });
  }

  async query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]> {
    const client = new pg.Client({
      host: this.socketDir,
      port: this.#port,
      user: 'postgres',
      database: 'postgres',
    });
    client.on('error', () => {}); // a server shutting down must not crash the process
    await client.connect();
    try {
      const result = await client.query(sql, params);
      return result.rows as Row[];
    } finally {
      await client.end().catch(() => {});
    }
  }

  async restart(): Promise<void> {
    this.#assertActive('restart');
    await this.#postmaster?.shutdown();
    await this.launch();
  }

  async crash(): Promise<void> {
    this.#assertActive('crash');
    await this.#postmaster?.kill();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  emergencyCleanup(): void {
    this.#postmaster?.killSync();
    for (const pid of processesWithCwdUnder(this.baseDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(this.baseDir, { recursive: true, force: true, maxRetries: 3 });
  }

  /**
   * Starts a postmaster, on the current port first, then on fresh ones if it cannot bind (unless
   * the caller chose the port). A new port is also appended to postgresql.conf. With the Debian
   * layout the server is told where its configuration is, as pg_ctlcluster does.
   */
  async launch(): Promise<void> {
    let port = this.#port;
    for (let attempt = 1; ; attempt += 1) {
      if (port !== this.#port) {
        appendFileSync(this.configFile, `port = ${port}\n`);
      }
      const postmaster = PostmasterProcess.launch({
        binDir: this.binDir,
        dataDir: this.dataDir,
        logFile: this.logFile,
        port,
        osUser: this.#account,
        configFile: this.configDir === undefined ? undefined : this.configFile,
      });
      this.#postmaster = postmaster;
      this.#port = port;
      try {
        await postmaster.waitUntilReady(startTimeoutMs);
        return;
      } catch (error) {
        const portTaken = /could not bind|Address already in use/i.test(postmaster.ownLog());
        if (!portTaken || this.#portIsFixed || attempt >= portAttempts) throw error;
        if (!isBarkeepError(error)) throw error;
        port = await findFreePort();
      }
    }
  }

  async #stop(): Promise<void> {
    try {
      await this.#postmaster?.shutdown();
    } finally {
      this.emergencyCleanup(); // nothing left to kill after a clean shutdown; removes the files
      sandboxCleanup.delete(this);
    }
  }

  #assertActive(operation: string): void {
    if (this.#stopping !== undefined) {
      throw new BarkeepError('internal', {
        what: `cannot ${operation} throwaway cluster`,
        subject: this.baseDir,
        why: 'it was stopped',
      });
    }
  }
}
