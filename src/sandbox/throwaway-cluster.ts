import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { lookupOsUser } from '../storage/os-user.ts';
import { sandboxCleanup } from './cleanup-registry.ts';
import { createClusterFiles } from './cluster-layout.ts';
import type { DebianLayoutOptions } from './debian-layout.ts';
import { findFreePort } from './free-port.ts';
import { findPostgresBinaries } from './postgres-binaries.ts';
import type { SettingValue } from './postgres-settings.ts';
import { SandboxCluster } from './sandbox-cluster.ts';
import { createSandboxDirectory } from './sandbox-directory.ts';
import { sweepDeadSandboxes } from './sandbox-sweeper.ts';

/** How to build a throwaway cluster; everything is optional. */
export interface ThrowawayClusterOptions {
  /** PostgreSQL major version; default: see `findPostgresBinaries`. */
  readonly major?: number;
  /** postgresql.conf settings overriding the sandbox defaults (a `port` here is used as is). */
  readonly settings?: Readonly<Record<string, SettingValue>>;
  /**
   * pg_hba.conf lines placed before the default trust rules, e.g. to require passwords over
   * TCP. Leave `local` connections of `postgres` trusted: `query()` uses the unix socket.
   */
  readonly hbaLines?: readonly string[];
  /** Extra initdb arguments, e.g. `['--wal-segsize=1']`. */
  readonly initdbArgs?: readonly string[];
  /** Short label that goes into the directory name, to tell clusters apart. */
  readonly label?: string;
  /**
   * Lay the cluster out as Debian's pg_createcluster does: postgresql.conf, pg_hba.conf,
   * pg_ident.conf, `conf.d/` (one file, through `include_dir = 'conf.d'`), `start.conf`,
   * `pg_ctl.conf` and `environment` in `<baseDir>/etc/postgresql/<version>/<cluster>/` (see
   * `configDir`), PGDATA in `<baseDir>/data` without them, and the server started with
   * `-c config_file=...` as pg_ctlcluster does. `settings` and `hbaLines` go to the moved files.
   */
  readonly debianLayout?: DebianLayoutOptions;
}

/** Parameters of `ThrowawayCluster.conninfo`. */
export interface ConninfoOptions {
  /** Role; default `postgres`. */
  readonly user?: string;
  /** Database; default `postgres`. */
  readonly dbname?: string;
  /** Password, when an hba line requires one. */
  readonly password?: string;
}

/** A running private PostgreSQL cluster that disappears with `stop()` or with this process. */
export interface ThrowawayCluster {
  /** Its major version. */
  readonly major: number;
  /** Its TCP port on 127.0.0.1 (may change when `restart()` finds the port taken). */
  readonly port: number;
  /** Always 127.0.0.1: the server listens on the loopback address only. */
  readonly host: '127.0.0.1';
  /** Its private unix socket directory. */
  readonly socketDir: string;
  /** PGDATA. */
  readonly dataDir: string;
  /** The postgresql.conf the server reads (in PGDATA unless `debianLayout` was asked for). */
  readonly configFile: string;
  /** With `debianLayout`: `<baseDir>/etc/postgresql/<version>/<cluster>`; else undefined. */
  readonly configDir?: string;
  /** The sandbox directory that holds everything and is removed by `stop()`. */
  readonly baseDir: string;
  /** The directory of the `postgres`/`initdb`/`pg_ctl` binaries in use. */
  readonly binDir: string;
  /** PID of the current postmaster (of the last one after `crash()`). */
  readonly pid: number;
  /** Name of the OS account the server runs as (`postgres` when we are root). */
  readonly osUser: string;
  /** The server log (initdb output, then stderr of every run). */
  readonly logFile: string;
  /** libpq `key=value` connection string over TCP, e.g. for barkeep's `conninfo`. */
  conninfo(options?: ConninfoOptions): string;
  /** Runs one statement as superuser `postgres` over the unix socket; returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Fast shutdown, then removes the sandbox directory. Idempotent. */
  stop(): Promise<void>;
  /** Fast shutdown (unless crashed or stopped by the test) and start again on the same data. */
  restart(): Promise<void>;
  /** SIGKILLs the postmaster, simulating a crash; `restart()` then runs crash recovery. */
  crash(): Promise<void>;
}

/**
 * Creates and starts a private PostgreSQL cluster in a fresh temp directory, for the tests
 * (which never mock PostgreSQL) and `barkeep demo`. Before that it sweeps away sandboxes left by
 * dead processes. The cluster is registered with the process's cleanup registry, so it is killed
 * and removed even when the caller forgets `stop()`, a test fails or the process is interrupted.
 * As root, the server runs as the `postgres` OS account (initdb refuses root).
 */
export async function startThrowawayCluster(
  options: ThrowawayClusterOptions = {},
): Promise<ThrowawayCluster> {
  sweepDeadSandboxes();
  const binaries = findPostgresBinaries(options.major);
  const osUser = process.getuid?.() === 0 ? lookupOsUser('postgres') : undefined;
  const baseDir = createSandboxDirectory(options.label ?? `pg${binaries.major}`, osUser);
  const emergency = { emergencyCleanup: () => rmSync(baseDir, { recursive: true, force: true }) };
  sandboxCleanup.add(emergency);
  try {
    const fixedPort = parsePort(options.settings?.['port']);
    const port = fixedPort ?? (await findFreePort());
    const layout = await createClusterFiles({
      baseDir,
      binDir: binaries.binDir,
      osUser,
      port,
      settings: options.settings ?? {},
      hbaLines: options.hbaLines ?? [],
      initdbArgs: options.initdbArgs ?? [],
      major: binaries.major,
      debianLayout: options.debianLayout,
    });
    const cluster = new SandboxCluster(binaries, layout, osUser, port, fixedPort !== undefined);
    sandboxCleanup.add(cluster);
    sandboxCleanup.delete(emergency);
    try {
      await cluster.launch();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  } catch (error) {
    sandboxCleanup.delete(emergency);
    await rm(baseDir, { recursive: true, force: true, maxRetries: 3 });
    throw error;
  }
}

function parsePort(value: SettingValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}
