// `recover` as an operator uses it: a backup, rows written in steps with a marker for each kind
// of target, then each target recovered into a new directory, started, and its rows counted.
// Also: --exclusive, and latest after the primary crashed (the rows only in the streaming
// .partial come back, in both WAL modes). Tablespaces and compression: recover-tablespace.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ArchivedServer, startArchivedServer } from '../support/archived-server.ts';
import { smokeVersions } from '../support/cluster.ts';
import { type RunningReceiver, startReceiver, waitFor } from '../support/receiver.ts';
import {
  addRows,
  archiveCurrentSegment,
  backup,
  countRecovered,
  limiter,
  recover,
  settleStops,
  waitStreamedTo,
} from '../support/recover-steps.ts';

const STREAMING = ['streaming_archiver = on', 'slot_name = barkeep', 'create_slot = auto'];

/** What one recovery scenario saw: the output of recover, DEST before start, the row count. */
interface Scenario {
  readonly stdout: string;
  readonly signal: boolean;
  readonly walCopied: number;
  readonly rows: number;
}

for (const major of smokeVersions()) {
  describe(`recover to every target, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    let receiver: RunningReceiver | undefined;
    const rows: Record<string, number> = {};
    const marks: Record<string, string> = {};
    const scenarios = new Map<string, Promise<Scenario>>();
    const dest = (name: string) => join(server.dir, `recovered-${name}`);

    /** Starts recover + start + count for `name` in the background; the test awaits it. */
    const launch = (run: ReturnType<typeof limiter>, name: string, args: string[]) => {
      const scenario = run(async () => {
        const stdout = await recover(server, [...args, server.name, 'latest', dest(name)]);
        const signal = existsSync(join(dest(name), 'recovery.signal'));
        const wal = join(dest(name), 'barman_wal');
        const walCopied = existsSync(wal) ? readdirSync(wal).length : 0;
        return { stdout, signal, walCopied, rows: await countRecovered(dest(name), major) };
      });
      scenario.catch(() => {}); // awaited (and reported) by its test
      scenarios.set(name, scenario);
    };

    before(async () => {
      server = await startArchivedServer({ major, label: 'e2e-recover', serverLines: STREAMING });
      await server.cluster.query('CREATE TABLE t (g int)');
      receiver = startReceiver(server);
      await waitFor(
        async () =>
          (
            await server.cluster.query<{ n: string }>(
              'SELECT count(*) AS n FROM pg_stat_replication',
            )
          )[0]?.n === '1',
        'the receiver to stream',
      );
      rows['backup'] = await addRows(server, 100);
      await backup(server);

      rows['name'] = await addRows(server, 100);
      await server.cluster.query("SELECT pg_create_restore_point('barkeep-e2e-point')");

      rows['time'] = await addRows(server, 100);
      const [time] = await server.cluster.query<{ t: string }>(
        'SELECT clock_timestamp()::text AS t',
      );
      marks['time'] = time!.t;
      await new Promise((resolve) => setTimeout(resolve, 20));

      const [xid] = await server.cluster.query<{ xid: string }>(
        'WITH ins AS (INSERT INTO t SELECT generate_series(1, 100) RETURNING 1) SELECT txid_current()::text AS xid FROM ins LIMIT 1',
      );
      marks['xid'] = xid!.xid;
      rows['xid'] = rows['time'] + 100;

      rows['lsn'] = await addRows(server, 100);
      const [lsn] = await server.cluster.query<{ lsn: string }>(
        'SELECT pg_current_wal_lsn()::text AS lsn',
      );
      marks['lsn'] = lsn!.lsn;

      rows['latest'] = await addRows(server, 100);
      await archiveCurrentSegment(server);
      const [end] = await server.cluster.query<{ lsn: string }>(
        'SELECT pg_current_wal_lsn()::text AS lsn',
      );
      await waitStreamedTo(server, end!.lsn);

      // Every scenario copies the WAL into DEST, so nothing written later can reach it.
      const run = limiter(3);
      const promote = ['--target-action', 'promote'];
      launch(run, 'name', ['--target-name', 'barkeep-e2e-point', ...promote]);
      launch(run, 'time', ['--target-time', marks['time'], ...promote]);
      launch(run, 'xid', ['--target-xid', marks['xid'], ...promote]);
      launch(run, 'xid-exclusive', ['--target-xid', marks['xid'], '--exclusive', ...promote]);
      launch(run, 'lsn', ['--target-lsn', marks['lsn'], ...promote]);
      launch(run, 'immediate', ['--target-immediate', ...promote]);
      launch(run, 'latest', []);
    });
    after(async () => {
      await receiver?.kill();
      await Promise.allSettled(scenarios.values());
      await settleStops();
      await server?.stop();
    });

    it('--target-name: the rows at the restore point', async () => {
      const result = await scenarios.get('name')!;
      assert.match(result.stdout, /recovery_target_name = 'barkeep-e2e-point'/);
      assert.match(result.stdout, /archive_command = 'false'/);
      assert.match(result.stdout, new RegExp(`pg_ctl -D ${dest('name')} start`));
      assert.ok(result.signal, 'recovery.signal written');
      assert.equal(result.rows, rows['name']);
    });

    it('--target-time: the rows committed up to that time', async () => {
      const result = await scenarios.get('time')!;
      assert.match(result.stdout, /recovery_target_time = /);
      assert.equal(result.rows, rows['time']);
    });

    it('--target-xid: up to and including that transaction', async () => {
      assert.equal((await scenarios.get('xid')!).rows, rows['xid']);
    });

    it('--target-xid --exclusive: stops just before that transaction', async () => {
      const result = await scenarios.get('xid-exclusive')!;
      assert.match(result.stdout, /recovery_target_inclusive = false/);
      assert.equal(result.rows, rows['time']);
    });

    it('--target-lsn: the rows committed before that position', async () => {
      assert.equal((await scenarios.get('lsn')!).rows, rows['lsn']);
    });

    it('--target-immediate: the rows at the end of the backup', async () => {
      const result = await scenarios.get('immediate')!;
      assert.match(result.stdout, /recovery_target = 'immediate'/);
      assert.equal(result.rows, rows['backup']);
    });

    it('no target: every row there is', async () => {
      const result = await scenarios.get('latest')!;
      assert.match(result.stdout, /file\(s\) copied into/);
      assert.ok(result.walCopied > 0);
      assert.equal(result.rows, rows['latest']);
    });

    describe('after the primary crashed', () => {
      let crashedRows = 0;
      before(async () => {
        await Promise.allSettled(scenarios.values());
        crashedRows = await addRows(server, 100);
        const [lsn] = await server.cluster.query<{ lsn: string }>(
          'SELECT pg_current_wal_lsn()::text AS lsn',
        );
        await waitStreamedTo(server, lsn!.lsn);
        await server.cluster.crash();
      });

      it('latest with copied WAL: the rows only in the streaming .partial are back', async () => {
        const out = await recover(server, ['--no-get-wal', server.name, 'latest', dest('crash')]);
        assert.match(out, /Includes the streaming [0-9A-F]{24}\.partial/);
        assert.equal(await countRecovered(dest('crash'), major), crashedRows);
      });

      it('latest with get-wal: restore_command serves the .partial too', async () => {
        const out = await recover(server, ['--get-wal', server.name, 'latest', dest('crash-get')]);
        assert.match(out, /get-wal --partial/);
        assert.equal(existsSync(join(dest('crash-get'), 'barman_wal')), false);
        const auto = readFileSync(join(dest('crash-get'), 'postgresql.auto.conf'), 'utf8');
        assert.match(auto, /restore_command = '.* get-wal --partial pg %f > %p'/);
        assert.equal(await countRecovered(dest('crash-get'), major), crashedRows);
      });
    });
  });
}
