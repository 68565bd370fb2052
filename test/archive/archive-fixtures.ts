// Shared by the tests of src/archive/: a real cluster with 1 MiB segments that keeps its WAL,
// the files PostgreSQL archives taken from it (completed segments, a backup history file), and
// throwaway catalogs (a configuration file, a server section, identity.json) to archive into.
import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { writeServerIdentity } from '../../src/catalog/server-identity.ts';
import { type ServerLayout, serverLayout } from '../../src/catalog/server-layout.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { openConnection, runQuery } from '../../src/postgres/connect.ts';
import { startThrowawayCluster, type ThrowawayCluster } from '../support/cluster.ts';

/** The segment size of the fixture clusters (`initdb --wal-segsize=1`). */
export const SEGMENT_SIZE = 1024 * 1024;

/** A WAL file PostgreSQL wrote, with its name and bytes. */
export interface WalFile {
  readonly name: string;
  readonly data: Buffer;
}

/** What `useWalCluster` provides once its `before` hook has run. */
export interface WalClusterHandle {
  readonly cluster: ThrowawayCluster;
  /** The cluster's system identifier, as decimal text. */
  readonly systemId: string;
  /** Completed, consecutive segments of timeline 1, oldest first. */
  readonly segments: readonly WalFile[];
  /** A backup history file (`<segment>.<offset>.backup`), when asked for. */
  readonly backupFile: WalFile;
}

/** Options of `useWalCluster`. */
export interface WalClusterOptions {
  /** How many completed segments to produce (default 4). */
  readonly segments?: number;
  /** Also run a base backup's start and stop, for its backup history file. */
  readonly backupFile?: boolean;
  /** postgresql.conf settings added to the fixture's. */
  readonly settings?: Readonly<Record<string, string>>;
}

/**
 * Starts a cluster with 1 MiB segments that keeps its WAL (wal_keep_size), writes rows and
 * switches WAL to complete `segments` segments, and reads them from pg_wal; stops it in `after`.
 */
export function useWalCluster(label: string, options: WalClusterOptions = {}): WalClusterHandle {
  let state: WalClusterHandle | undefined;
  before(async () => {
    const cluster = await startThrowawayCluster({
      label,
      initdbArgs: ['--wal-segsize=1'],
      settings: {
        wal_keep_size: '1GB',
        // Without archiving, pg_backup_stop() removes the backup history file it just wrote.
        ...(options.backupFile ? { archive_mode: 'on', archive_command: 'true' } : {}),
        ...options.settings,
      },
    });
    const [row] = await cluster.query<{ id: string }>(
      'SELECT system_identifier::text AS id FROM pg_control_system()',
    );
    await cluster.query('CREATE TABLE t (g int, filler text)');
    const segments = await completeSegments(cluster, options.segments ?? 4);
    const backupFile = options.backupFile ? await runBackup(cluster) : undefined;
    state = {
      cluster,
      systemId: row!.id,
      segments,
      get backupFile(): WalFile {
        if (backupFile === undefined) throw new Error('useWalCluster: no backupFile was asked');
        return backupFile;
      },
    };
  });
  after(async () => {
    await state?.cluster.stop();
  });
  const get = (): WalClusterHandle => {
    if (state === undefined) throw new Error('useWalCluster: the cluster is not started yet');
    return state;
  };
  return {
    get cluster() {
      return get().cluster;
    },
    get systemId() {
      return get().systemId;
    },
    get segments() {
      return get().segments;
    },
    get backupFile() {
      return get().backupFile;
    },
  };
}

/** Writes rows and switches WAL `count` times; returns the segments closed, read from pg_wal. */
export async function completeSegments(
  cluster: ThrowawayCluster,
  count: number,
): Promise<WalFile[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    await cluster.query(`INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g`);
    const [row] = await cluster.query<{ name: string }>(
      'SELECT pg_walfile_name(pg_switch_wal()) AS name',
    );
    names.push(row!.name);
  }
  return Promise.all(
    names.map(async (name) => ({
      name,
      data: await readFile(join(cluster.dataDir, 'pg_wal', name)),
    })),
  );
}

/** A base backup's start and stop on one session; returns the backup history file it wrote. */
async function runBackup(cluster: ThrowawayCluster): Promise<WalFile> {
  const client = await openConnection(cluster.conninfo());
  try {
    if (cluster.major >= 15) {
      await runQuery(client, "SELECT pg_backup_start('archive tests', true)");
      await runQuery(client, 'SELECT * FROM pg_backup_stop(false)');
    } else {
      await runQuery(client, "SELECT pg_start_backup('archive tests', true, false)");
      await runQuery(client, 'SELECT * FROM pg_stop_backup(false, false)');
    }
  } finally {
    await client.end();
  }
  const walDir = join(cluster.dataDir, 'pg_wal');
  const name = (await readdir(walDir))
    .filter((file) => file.endsWith('.backup'))
    .sort()
    .pop();
  if (name === undefined) throw new Error('the backup left no backup history file in pg_wal');
  return { name, data: await readFile(join(walDir, name)) };
}

/** A timeline history file as PostgreSQL writes it when timeline 2 branches off timeline 1. */
export function historyFile(): WalFile {
  return {
    name: '00000002.history',
    data: Buffer.from('1\t0/3000000\tno recovery target specified\n'),
  };
}

/** A server section and its catalog, made by `Catalogs.server`. */
export interface TestServer {
  readonly server: ServerConfig;
  readonly layout: ServerLayout;
}

/** Options of `Catalogs.server`. */
export interface TestServerOptions {
  /**
   * The system identifier recorded in identity.json, as after a first `barkeep check`; `false`
   * for a catalog that never met its server.
   */
  readonly identity?: string | false;
}

/**
 * Throwaway catalogs under one temp directory, removed in `after`: each `server()` call writes
 * a configuration file with a new server section (its own catalog under a shared barman_home)
 * and loads it as barkeep does.
 */
export class Catalogs {
  readonly dir = mkdtempSync(join(tmpdir(), 'barkeep-archive-test-'));
  readonly home = join(this.dir, 'home');
  #count = 0;

  constructor() {
    after(async () => {
      await rm(this.dir, { recursive: true, force: true });
    });
  }

  /** A new server section with `lines` (e.g. `compression = gzip`). */
  async server(lines: string[] = [], options: TestServerOptions = {}): Promise<TestServer> {
    const name = `srv${++this.#count}`;
    const file = join(this.dir, `${name}.conf`);
    const content = ['[barkeep]', `barman_home = ${this.home}`, '', `[${name}]`, ...lines, ''];
    await writeFile(file, content.join('\n'));
    const server = (await loadConfig({ explicitFile: file })).servers.get(name)!;
    const layout = serverLayout(name, server.settings);
    if (options.identity !== false && options.identity !== undefined) {
      await mkdir(layout.backupDirectory, { recursive: true });
      await writeServerIdentity(layout.identityFile, { systemid: options.identity, version: '15' });
    }
    return { server, layout };
  }
}

/** The stored path of a segment (or `.partial`/`.backup` file) in a catalog. */
export function storedSegmentPath(layout: ServerLayout, name: string): string {
  return join(layout.wals, name.slice(0, 16), name);
}

/** Writes `data` at `path` with a modification time `ageMs` in the past. */
export async function writeAged(path: string, data: Buffer, ageMs: number): Promise<void> {
  await writeFile(path, data);
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
}

/** The lines of a catalog's xlog.db ('' when it does not exist). */
export async function xlogDbLines(layout: ServerLayout): Promise<string[]> {
  const text = await readFile(layout.xlogDb, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '');
}

/** Removes the last line of xlog.db, as a crash between storing a file and indexing it leaves it. */
export async function dropLastXlogDbLine(layout: ServerLayout): Promise<string> {
  const lines = await xlogDbLines(layout);
  const last = lines.pop()!;
  await writeFile(layout.xlogDb, lines.map((line) => `${line}\n`).join(''));
  return last;
}
