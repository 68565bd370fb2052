import { join } from 'node:path';
import { startRecoveredServer } from '../sandbox/recovered-server.ts';
import type { ThrowawayCluster } from '../sandbox/throwaway-cluster.ts';
import type { DemoNarrator } from './run-demo.ts';

/** What the recovery part of the demo needs from the rest of it. */
export interface DemoRecoveryContext {
  readonly narrator: DemoNarrator;
  readonly cluster: ThrowawayCluster;
  readonly server: string;
  readonly demoDir: string;
  readonly signal: AbortSignal;
  /** Runs barkeep (as the cluster's OS user) and narrates its output; resolves with the exit code. */
  readonly run: (args: string[]) => Promise<{ code: number }>;
}

/**
 * Backup and point-in-time recovery, proved by counting rows: a base backup with its listing, a
 * restore point before a mistake (most rows deleted), recovery to that point into a new
 * directory, started and counted.
 */
export async function demoBackupAndPitr(context: DemoRecoveryContext): Promise<boolean> {
  const { narrator, cluster, server, run, signal } = context;
  narrator.step('Taking a base backup (BASE_BACKUP over the replication protocol)');
  const backup = await run(['backup', '--immediate-checkpoint', server]);
  await run(['list-backups', server]);
  await run(['show-backup', server, 'latest']);
  signal.throwIfAborted();

  narrator.step('A restore point, then a mistake: most rows deleted');
  const [before] = await cluster.query<{ count: string }>('SELECT count(*) FROM demo_rows');
  await cluster.query("SELECT pg_create_restore_point('before_mistake')");
  await cluster.query('DELETE FROM demo_rows WHERE id > 10000');
  narrator.detail(
    `demo_rows had ${before?.count} rows at the restore point 'before_mistake'; 10000 are left`,
  );
  await run(['switch-wal', '--archive', server]);
  signal.throwIfAborted();

  narrator.step('Recovering to the restore point into a new directory, then starting it');
  const target = join(context.demoDir, 'recovered-before-mistake');
  await run([
    'recover',
    '--target-name',
    'before_mistake',
    '--target-action',
    'promote',
    server,
    'latest',
    target,
  ]);
  const rows = await countRecoveredRows(target, cluster.major);
  narrator.detail(
    `the recovered cluster holds ${rows} rows in demo_rows (expected ${before?.count})`,
  );
  return backup.code === 0 && String(rows) === before?.count;
}

/**
 * The seed's complaint fixed: rows committed after the last archived segment live only in the
 * streaming `.partial`; the primary dies; recovery to latest brings them back.
 */
export async function demoLatestWithPartial(context: DemoRecoveryContext): Promise<boolean> {
  const { narrator, cluster, server, run } = context;
  narrator.step(
    'Disaster: 777 rows committed (only in the streaming .partial), then the primary is killed',
  );
  await cluster.query(
    "INSERT INTO demo_rows SELECT g, 'late row' FROM generate_series(100001, 100777) g",
  );
  for (let i = 0; i < 100; i++) {
    const [row] = await cluster.query<{ lag: string }>(
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::text AS lag FROM pg_stat_replication WHERE application_name = 'barkeep_receive_wal'",
    );
    if (row?.lag === '0') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const [expected] = await cluster.query<{ count: string }>('SELECT count(*) FROM demo_rows');
  await cluster.crash();
  narrator.detail(`PostgreSQL killed with SIGKILL; it had ${expected?.count} rows`);

  narrator.step('Recovering everything there is, the streaming .partial included, and starting it');
  const target = join(context.demoDir, 'recovered-latest');
  await run(['recover', server, 'latest', target]);
  const rows = await countRecoveredRows(target, cluster.major);
  narrator.detail(
    `the recovered cluster holds ${rows} rows (expected ${expected?.count}): the 777 late rows are back`,
  );
  return String(rows) === expected?.count;
}

async function countRecoveredRows(dataDir: string, major: number): Promise<number> {
  const server = await startRecoveredServer(dataDir, major);
  try {
    await server.waitUntilPromoted();
    const [row] = await server.query<{ count: string }>('SELECT count(*) FROM demo_rows');
    return Number(row?.count);
  } finally {
    await server.stop();
  }
}
