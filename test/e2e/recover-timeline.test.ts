// A backup taken on timeline 1, a promotion (timeline 2, its .history archived through put-wal),
// rows and a restore point on timeline 2: recover follows the history to targets on timeline 2.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ArchivedServer, startArchivedServer } from '../support/archived-server.ts';
import { smokeVersions } from '../support/cluster.ts';
import { promoteCluster } from '../support/promotion.ts';
import { waitFor } from '../support/receiver.ts';
import { startRecoveredCluster } from '../support/recovered-cluster.ts';

async function count(server: ArchivedServer): Promise<number> {
  const [row] = await server.cluster.query<{ n: string }>('SELECT count(*) AS n FROM t');
  return Number(row!.n);
}

for (const major of smokeVersions()) {
  describe(`recover across a promotion, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    const stopping: Promise<void>[] = [];
    let atPoint = 0;
    let total = 0;

    const recoverAndCount = async (name: string, args: string[]) => {
      const dest = join(server.dir, name);
      const run = await server.barkeep(['recover', ...args, server.name, 'latest', dest], {
        timeoutMs: 120_000,
      });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const recovered = await startRecoveredCluster(dest, major);
      try {
        await recovered.waitUntilPromoted(90_000);
        const [row] = await recovered.query<{ n: string; tli: string }>(
          'SELECT count(*) AS n, (SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)) AS tli FROM t',
        );
        return {
          rows: Number(row!.n),
          timeline: Number.parseInt(row!.tli, 16),
          stdout: run.stdout,
          dest,
        };
      } finally {
        stopping.push(recovered.stop());
      }
    };

    before(async () => {
      server = await startArchivedServer({
        major,
        label: 'e2e-recover-tli',
        settings: { hot_standby: 'on' },
      });
      await server.cluster.query('CREATE TABLE t AS SELECT generate_series(1, 100) AS g');
      const backup = await server.barkeep(
        ['backup', '--wait', '--immediate-checkpoint', server.name],
        { timeoutMs: 120_000 },
      );
      assert.equal(backup.code, 0, backup.stdout + backup.stderr);
      await server.cluster.query('INSERT INTO t SELECT generate_series(1, 100)');

      await promoteCluster(server.cluster);
      const [timeline] = await server.cluster.query<{ tli: string }>(
        'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli',
      );
      assert.equal(timeline!.tli, '00000002');
      await server.cluster.query('INSERT INTO t SELECT generate_series(1, 100)');
      atPoint = await count(server);
      await server.cluster.query("SELECT pg_create_restore_point('on-timeline-2')");
      await server.cluster.query('INSERT INTO t SELECT generate_series(1, 100)');
      total = await count(server);
      const switched = await server.barkeep(['switch-wal', '--archive', '--force', server.name], {
        timeoutMs: 90_000,
      });
      assert.equal(switched.code, 0, switched.stdout + switched.stderr);
      await waitFor(
        () => readdirSync(server.layout.wals).includes('00000002.history'),
        '00000002.history archived',
      );
    });
    after(async () => {
      await Promise.allSettled(stopping);
      await server?.stop();
    });

    it('--target-name on timeline 2 with --target-tli latest (WAL copied)', async () => {
      const result = await recoverAndCount('recovered-point', [
        '--target-name',
        'on-timeline-2',
        '--target-tli',
        'latest',
        '--target-action',
        'promote',
      ]);
      assert.match(result.stdout, /recovery_target_timeline = 'latest'/);
      const copied = readdirSync(join(result.dest, 'barman_wal'));
      assert.ok(copied.includes('00000002.history'), copied.join(' '));
      assert.ok(
        copied.some((name) => name.startsWith('00000002') && !name.endsWith('.history')),
        copied.join(' '),
      );
      assert.equal(result.rows, atPoint);
      assert.equal(result.timeline, 3, 'promoted to the timeline after 2');
    });

    it('latest with --target-tli 2 (get-wal)', async () => {
      const result = await recoverAndCount('recovered-tli2', ['--get-wal', '--target-tli', '2']);
      assert.match(result.stdout, /recovery_target_timeline = '2'/);
      assert.equal(result.rows, total);
      assert.equal(result.timeline, 3);
    });
  });
}
