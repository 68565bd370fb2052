// `recover --remote-ssh-command` against a real sshd: the "remote host" is this machine reached
// through a private sshd as the postgres OS user, DEST a directory that user owns. The data is
// streamed as tar into `tar -x` over ssh, and in get-wal mode the recovered cluster's
// restore_command goes back through ssh to barkeep on the "backup host" (the same test sshd
// running the installed CLI copy with -c CONFIG). Each recovered cluster is started and its rows
// counted. Skipped, saying why, only when sshd cannot run here.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { installCliForOsUser } from '../support/cli.ts';
import { testVersions } from '../support/cluster.ts';
import { startRecoveredCluster } from '../support/recovered-cluster.ts';
import { runCliInProcess } from '../support/run-cli-in-process.ts';
import { sshdUnavailableReason, startTestSshd, type TestSshd } from '../support/sshd.ts';

const unavailable = sshdUnavailableReason();
/** What the Debian layout's conf.d sets. */
const CONF_D_PREFIX = '%m [%p] %q%u@%d ';

/** Inserts `count` rows into `table` and returns how many it has now. */
async function addRows(server: ArchivedServer, table: string, count: number): Promise<number> {
  await server.cluster.query(`INSERT INTO ${table} SELECT generate_series(1, ${count})`);
  const [row] = await server.cluster.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(row!.n);
}

/** Shutdowns of recovered clusters, awaited in `after` (archive_command = false retries 3 s). */
const stopping: Promise<void>[] = [];

/** Starts the recovered directory, waits until it promoted, counts the rows of each table. */
async function countRecovered(
  dest: string,
  major: number,
  tables: string[],
): Promise<Record<string, number | string>> {
  const recovered = await startRecoveredCluster(dest, major);
  try {
    await recovered.waitUntilPromoted(90_000);
    const counts: Record<string, number | string> = {};
    for (const table of tables) {
      const [row] = await recovered.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      counts[table] = Number(row!.n);
    }
    // Set in the Debian layout's conf.d, outside PGDATA: proves the kept configuration is used.
    const [prefix] = await recovered.query<{ log_line_prefix: string }>('SHOW log_line_prefix');
    counts['log_line_prefix'] = prefix!.log_line_prefix;
    return counts;
  } finally {
    stopping.push(recovered.stop());
  }
}

for (const major of testVersions()) {
  describe(`recover --remote-ssh-command through a test sshd, PostgreSQL ${major}`, {
    skip: unavailable === undefined ? false : `no test sshd: ${unavailable}`,
  }, () => {
    let sshd: TestSshd;
    let server: ArchivedServer;
    let originalTablespace: string;
    const rows: Record<string, number> = {};
    const place = (name: string) => join(server.dir, name);
    /** What the recovered host runs to reach barkeep on the backup host: ssh back to it. */
    const remoteBarkeep = () =>
      `${sshd.sshCommand} ${installCliForOsUser()} -c ${server.configFile}`;

    before(async () => {
      sshd = await startTestSshd();
      // Debian layout: postgresql.conf, pg_hba.conf and conf.d/ live outside PGDATA and are kept
      // with the backup, so the remote recovery must bring them into DEST, adjusted.
      server = await startArchivedServer({ major, label: 'e2e-recover-remote', debianLayout: {} });
      originalTablespace = place('ts-original');
      mkdirSync(originalTablespace);
      shareWithPostgres(originalTablespace);
      await server.cluster.query(`CREATE TABLESPACE remote_ts LOCATION '${originalTablespace}'`);
      await server.cluster.query('CREATE TABLE t (g int)');
      await server.cluster.query('CREATE TABLE in_ts (g int) TABLESPACE remote_ts');
      await addRows(server, 't', 100);
      await addRows(server, 'in_ts', 10);
      const plain = await server.barkeep(['backup', '--wait', '--immediate-checkpoint', 'pg'], {
        timeoutMs: 120_000,
      });
      assert.equal(plain.code, 0, plain.stdout + plain.stderr);

      rows['point'] = await addRows(server, 't', 100);
      rows['point_ts'] = await addRows(server, 'in_ts', 10);
      await server.cluster.query("SELECT pg_create_restore_point('remote-point')");

      server.writeConfig(['backup_compression = gzip']);
      const compressed = await server.barkeep(
        ['backup', '--wait', '--immediate-checkpoint', 'pg'],
        { timeoutMs: 120_000 },
      );
      assert.equal(compressed.code, 0, compressed.stdout + compressed.stderr);
      rows['latest'] = await addRows(server, 't', 100);
      rows['latest_ts'] = await addRows(server, 'in_ts', 10);
      const switched = await server.barkeep(['switch-wal', '--archive', '--force', 'pg'], {
        timeoutMs: 90_000,
      });
      assert.equal(switched.code, 0, switched.stdout + switched.stderr);
    });
    after(async () => {
      await Promise.allSettled(stopping);
      await server?.stop();
      await sshd?.stop();
    });

    it('refuses before writing anything: DEST not empty, tablespace in use, bad target, bad options', async () => {
      const busy = place('remote-busy');
      mkdirSync(busy);
      writeFileSync(join(busy, 'keep-me'), 'x');
      shareWithPostgres(busy);
      const base = ['-c', server.configFile, 'recover', '--remote-ssh-command', sshd.sshCommand];
      const fresh = place('remote-refused');
      const refusals: [string[], number, RegExp][] = [
        [[...base, 'pg', 'oldest', busy], 1, /refused to recover .*not empty \(1 entries\)/],
        // Without --tablespace the tablespace goes back to its original place, which is in use.
        [[...base, 'pg', 'oldest', fresh], 1, /directory of tablespace remote_ts .*not empty/],
        [
          [...base, '--target-time', '2000-01-01 00:00:00+00', 'pg', 'oldest', fresh],
          1,
          /ended at .*after the target time/,
        ],
        [[...base, 'pg', 'oldest', 'relative/dest'], 2, /must be an absolute path/],
        [
          [...base, '--debian-cluster', '15/main', 'pg', 'oldest', fresh],
          2,
          /does not go with --remote-ssh-command/,
        ],
        [
          [
            '-c',
            server.configFile,
            'recover',
            '--remote-barkeep-command',
            'x',
            'pg',
            'oldest',
            fresh,
          ],
          2,
          /goes with --remote-ssh-command/,
        ],
        [
          [
            '-c',
            server.configFile,
            'recover',
            '--remote-ssh-command',
            sshd.sshCommand.replace(`-p ${sshd.port}`, '-p 1'),
            'pg',
            'oldest',
            fresh,
          ],
          1,
          /cannot inspect the remote destination .*status 255/,
        ],
      ];
      for (const [args, code, pattern] of refusals) {
        const run = await runCliInProcess(args);
        assert.equal(run.code, code, `${args.join(' ')}:\n${run.stdout}${run.stderr}`);
        assert.match(run.stderr, pattern);
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      }
      assert.deepEqual(readdirSync(busy), ['keep-me']);
      assert.throws(() => statSync(fresh), /ENOENT/);
    });

    it('plain backup to a restore point, WAL fetched back through ssh with get-wal (in process)', async () => {
      const dest = place('remote-point');
      const tablespace = place('remote-point-ts');
      const run = await runCliInProcess([
        '-c',
        server.configFile,
        'recover',
        '--remote-ssh-command',
        sshd.sshCommand,
        '--remote-barkeep-command',
        remoteBarkeep(),
        '--get-wal',
        '--target-name',
        'remote-point',
        '--target-action',
        'promote',
        '--tablespace',
        `remote_ts:${tablespace}`,
        'pg',
        'oldest',
        dest,
      ]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /Remote host: reached through ssh -p/);
      assert.match(run.stdout, /fetched during recovery from this host through ssh/);
      assert.match(run.stdout, /Ready: start it on the remote host with pg_ctl -D /);
      const auto = readFileSync(join(dest, 'postgresql.auto.conf'), 'utf8');
      assert.match(
        auto,
        new RegExp(
          `restore_command = 'ssh -p ${sshd.port} .* -c ${server.configFile} get-wal --partial pg %f > %p'`,
        ),
      );
      assert.match(auto, /recovery_target_name = 'remote-point'/);
      assert.match(auto, /archive_command = 'false'/);
      assert.ok(statSync(join(dest, 'recovery.signal')).isFile());
      assert.match(run.stdout, /Configuration kept outside PGDATA restored: .*postgresql\.conf/);
      const conf = readFileSync(join(dest, 'postgresql.conf'), 'utf8');
      assert.match(conf, new RegExp(`data_directory = '${dest}'`));
      assert.match(conf, new RegExp(`hba_file = '${dest}/pg_hba.conf'`));
      assert.ok(statSync(join(dest, 'conf.d')).isDirectory());
      assert.deepEqual(readdirSync(dest).includes('barman_wal'), false);
      // Everything belongs to the ssh user (the remote PostgreSQL account), modes as needed.
      for (const path of [dest, join(dest, 'PG_VERSION'), join(dest, 'global'), tablespace]) {
        assert.equal(statSync(path).uid, sshd.user.uid, path);
      }
      assert.equal(statSync(dest).mode & 0o777, 0o700);
      assert.ok(readdirSync(tablespace).length > 0, 'the tablespace was streamed to its place');
      const counts = await countRecovered(dest, major, ['t', 'in_ts']);
      assert.deepEqual(counts, {
        t: rows['point'],
        in_ts: rows['point_ts'],
        log_line_prefix: CONF_D_PREFIX,
      });
    });

    it('compressed backup to latest, WAL streamed into DEST/barman_wal (built CLI as postgres)', async () => {
      const dest = place('remote-latest');
      const tablespace = place('remote-latest-ts');
      const run = await server.barkeep(
        [
          'recover',
          '--remote-ssh-command',
          sshd.sshCommand,
          '--no-get-wal',
          '--tablespace',
          `remote_ts:${tablespace}`,
          'pg',
          'latest',
          dest,
        ],
        { timeoutMs: 180_000 },
      );
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /WAL: \d+ file\(s\) copied into .*barman_wal/);
      assert.match(
        readFileSync(join(dest, 'postgresql.auto.conf'), 'utf8'),
        /restore_command = 'cp barman_wal\/%f %p'/,
      );
      assert.ok(readdirSync(join(dest, 'barman_wal')).length > 0);
      assert.equal(statSync(join(dest, 'barman_wal')).uid, sshd.user.uid);
      const counts = await countRecovered(dest, major, ['t', 'in_ts']);
      assert.deepEqual(counts, {
        t: rows['latest'],
        in_ts: rows['latest_ts'],
        log_line_prefix: CONF_D_PREFIX,
      });
    });
  });
}
