// Steps shared by the recover end-to-end tests: write rows, back up, archive, recover with the
// built CLI, start the recovered directory and count its rows.
import assert from 'node:assert/strict';
import type { ArchivedServer } from './archived-server.ts';
import { runBarkeep } from './cli.ts';
import { waitFor } from './receiver.ts';
import { startRecoveredCluster } from './recovered-cluster.ts';

/** Inserts `count` rows into `table` and returns the total there is now. */
export async function addRows(server: ArchivedServer, count: number, table = 't'): Promise<number> {
  await server.cluster.query(`INSERT INTO ${table} SELECT generate_series(1, ${count})`);
  const [row] = await server.cluster.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(row!.n);
}

/**
 * Runs `recover` (as the postgres OS user when we are root, or with `asRoot` as root itself,
 * which gives the files to postgres) and asserts it succeeded; returns its output.
 */
export async function recover(
  server: ArchivedServer,
  args: string[],
  asRoot = false,
): Promise<string> {
  const run =
    asRoot && process.getuid?.() === 0
      ? await runBarkeep(['-c', server.configFile, 'recover', ...args], { timeoutMs: 120_000 })
      : await server.barkeep(['recover', ...args], { timeoutMs: 120_000 });
  assert.equal(run.code, 0, `recover ${args.join(' ')}:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

/**
 * Shutdowns of recovered clusters, awaited in `after`: with archive_command = 'false' the
 * archiver retries for 3 s at shutdown, and the tests need not wait for that.
 */
const stopping: Promise<void>[] = [];

/** Waits for the shutdowns of every recovered cluster started so far. */
export async function settleStops(): Promise<void> {
  await Promise.allSettled(stopping);
}

/** Starts the recovered directory, waits until it promoted, and counts the rows of `table`. */
export async function countRecovered(dest: string, major: number, table = 't'): Promise<number> {
  const recovered = await startRecoveredCluster(dest, major);
  try {
    await recovered.waitUntilPromoted(90_000);
    const [row] = await recovered.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(row!.n);
  } finally {
    stopping.push(recovered.stop());
  }
}

/** Switches WAL and waits until the completed segment is in wals/. */
export async function archiveCurrentSegment(server: ArchivedServer): Promise<void> {
  const run = await server.barkeep(['switch-wal', '--archive', '--force', server.name], {
    timeoutMs: 90_000,
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
}

/** Waits until the receiver reports `lsn` flushed (the rows are in the streaming .partial). */
export async function waitStreamedTo(server: ArchivedServer, lsn: string): Promise<void> {
  await waitFor(async () => {
    const [row] = await server.cluster.query<{ ok: boolean | null }>(
      `SELECT bool_or(flush_lsn >= '${lsn}'::pg_lsn) AS ok FROM pg_stat_replication`,
    );
    return row?.ok === true;
  }, `the receiver to flush ${lsn}`);
}

/** `backup --wait --immediate-checkpoint`, asserted to succeed. */
export async function backup(server: ArchivedServer): Promise<void> {
  const run = await server.barkeep(['backup', '--wait', '--immediate-checkpoint', server.name], {
    timeoutMs: 120_000,
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
}

/** Runs tasks at most `limit` at a time (the recoveries of one server overlap their waits). */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
