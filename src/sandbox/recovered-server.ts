import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { lookupOsUser } from '../storage/os-user.ts';
import { sandboxCleanup } from './cleanup-registry.ts';
import { findFreePort } from './free-port.ts';
import { findPostgresBinaries } from './postgres-binaries.ts';
import { PostmasterProcess } from './postmaster-process.ts';

/** A recovered cluster running on a private socket and port. */
export interface RecoveredServer {
  readonly port: number;
  readonly logFile: string;
  query<Row = Record<string, unknown>>(sql: string): Promise<Row[]>;
  /** Waits until recovery ended (promoted) and the server accepts writes. */
  waitUntilPromoted(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL on a recovered data directory (for the tests and the demo, which prove a
 * recovery by counting rows), owned by the postgres OS user when we are
 * root,, listening on 127.0.0.1 and a private socket directory, and waits until it accepts
 * connections (as a hot standby while it recovers).
 */
export async function startRecoveredServer(
  dataDir: string,
  major: number,
  configFile?: string,
): Promise<RecoveredServer> {
  const scratch = mkdtempSync(join(tmpdir(), 'barkeep-test-recovered-'));
  if (process.getuid?.() === 0) {
    const user = lookupOsUser('postgres');
    chownSync(scratch, user.uid, user.gid);
  }
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
  const emergency = {
    emergencyCleanup: () => {
      postmaster.killSync();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
  sandboxCleanup.add(emergency);
  try {
    await postmaster.waitUntilReady(120_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${postmaster.ownLog()}`, { cause: error });
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
      sandboxCleanup.delete(emergency);
    },
  };
}
