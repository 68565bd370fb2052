// Starts a data directory that barkeep recovered, as its own throwaway server, to count rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findFreePort } from '../../src/sandbox/free-port.ts';
import { findPostgresBinaries } from '../../src/sandbox/postgres-binaries.ts';
import { PostmasterProcess } from '../../src/sandbox/postmaster-process.ts';
import { lookupOsUser } from '../../src/storage/os-user.ts';
import { shareWithPostgres } from './archived-server.ts';

/** A recovered cluster running on a private socket and port. */
export interface RecoveredCluster {
  readonly port: number;
  readonly logFile: string;
  query<Row = Record<string, unknown>>(sql: string): Promise<Row[]>;
  /** Waits until recovery ended (promoted) and the server accepts writes. */
  waitUntilPromoted(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL on a recovered data directory (owned by the postgres OS user when we are
 * root), listening on 127.0.0.1 and a private socket directory, and waits until it accepts
 * connections (as a hot standby while it recovers).
 */
export async function startRecoveredCluster(
  dataDir: string,
  major: number,
  configFile?: string,
): Promise<RecoveredCluster> {
  const scratch = mkdtempSync(join(tmpdir(), 'barkeep-test-recovered-'));
  shareWithPostgres(scratch);
  const port = await findFreePort();
  const logFile = join(scratch, 'server.log');
  const postmaster = PostmasterProcess.launch({
    binDir: findPostgresBinaries(major).binDir,
    dataDir,
    logFile,
    port,
    osUser: process.getuid?.() === 0 ? lookupOsUser('postgres') : undefined,
    configFile,
    extraArgs: [
      '-c',
      `unix_socket_directories=${scratch}`,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'hot_standby=on',
    ],
  });
  try {
    await postmaster.waitUntilReady(120_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${postmaster.ownLog()}`);
  }
  const query = async <Row>(sql: string): Promise<Row[]> => {
    const client = new pg.Client({ host: scratch, port, user: 'postgres', database: 'postgres' });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query(sql)).rows as Row[];
    } finally {
      await client.end().catch(() => {});
    }
  };
  return {
    port,
    logFile,
    query,
    waitUntilPromoted: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await query<{ recovering: boolean }>(
          'SELECT pg_is_in_recovery() AS recovering',
        ).catch(() => [{ recovering: true }]);
        if (row && !row.recovering) return;
        if (Date.now() > deadline)
          throw new Error(`still in recovery after ${timeoutMs} ms:\n${postmaster.ownLog()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop: async () => {
      await postmaster.shutdown();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
