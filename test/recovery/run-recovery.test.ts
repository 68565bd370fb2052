// `recover` in this process against a real catalog (a cluster archiving through put-wal and a
// backup taken by the CLI), so the orchestration counts for coverage: a recovery started and
// counted, the refusals of the command line, and a Debian adoption under a private /etc root.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { debianCluster } from '../../src/recovery/debian-cluster.ts';
import { readSetting } from '../../src/recovery/postgresql-conf-edit.ts';
import { runRecovery } from '../../src/recovery/run-recovery.ts';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { testVersions } from '../support/cluster.ts';
import { recordingLogger } from '../support/recording-logger.ts';
import { startRecoveredCluster } from '../support/recovered-cluster.ts';
import { runCliInProcess } from '../support/run-cli-in-process.ts';

const major = testVersions()[0]!;

describe(`recover in-process, PostgreSQL ${major}`, () => {
  let server: ArchivedServer;
  let backupId = '';
  const recover = (args: string[]) =>
    runCliInProcess(['-c', server.configFile, 'recover', ...args], { HOME: '/nonexistent' });

  before(async () => {
    server = await startArchivedServer({ major, label: 'recovery-inproc' });
    await server.cluster.query('CREATE TABLE t AS SELECT generate_series(1, 100) AS g');
    const backup = await server.barkeep(['backup', '--wait', '--immediate-checkpoint', 'pg'], {
      timeoutMs: 120_000,
    });
    assert.equal(backup.code, 0, backup.stdout + backup.stderr);
    backupId = /Backup (\d{8}T\d{6})/.exec(backup.stdout + backup.stderr)?.[1] ?? '';
    await server.cluster.query('INSERT INTO t SELECT generate_series(1, 50)');
    const switched = await server.barkeep(['switch-wal', '--archive', '--force', 'pg'], {
      timeoutMs: 90_000,
    });
    assert.equal(switched.code, 0, switched.stdout + switched.stderr);
  });
  after(async () => {
    await server?.stop();
  });

  it('recovers to latest with the WAL copied; the started copy has every row', async () => {
    const dest = join(server.dir, 'inproc-latest');
    const run = await recover(['-j', '2', 'pg', 'latest', dest]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Backup \d{8}T\d{6} of server pg restored into /);
    assert.match(run.stdout, /WAL: \d+ file\(s\) copied into .*barman_wal/);
    assert.match(run.stdout, /Ready: start it with pg_ctl -D .*inproc-latest start/);
    const recovered = await startRecoveredCluster(dest, major);
    try {
      await recovered.waitUntilPromoted(90_000);
      const [row] = await recovered.query<{ n: string }>('SELECT count(*) AS n FROM t');
      assert.equal(Number(row!.n), 150);
    } finally {
      await recovered.stop();
    }
  });

  it('refuses bad command lines with exit 2 before touching DEST', async () => {
    const dest = join(server.dir, 'inproc-never');
    const cases: [string[], RegExp][] = [
      [['--target-action', 'explode'], /use pause, shutdown or promote/],
      [['--start'], /--start': it goes with --debian-cluster/],
      [['--port', '5999'], /--port': it goes with --debian-cluster/],
      [['--tablespace', 'nocolon'], /write it as NAME:DIRECTORY/],
      [
        ['--tablespace', 'ghost:/tmp/x'],
        /unknown tablespace 'ghost': backup \S+ has no tablespaces/,
      ],
      [['--target-name', 'a', '--target-lsn', '0/1'], /only one recovery target/],
      [['--debian-cluster', 'main'], /VERSION\/NAME/],
      [['-j', 'many'], /--jobs': it takes a positive whole number/],
      [['--debian-cluster', '15/x', '--port', '0'], /--port': it takes a positive whole number/],
      [['--target-tli', 'newest'], /use a timeline number, 'current' or 'latest'/],
    ];
    for (const [args, message] of cases) {
      const run = await recover([...args, 'pg', 'latest', dest]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(existsSync(dest), false);
    }
  });

  it('refuses a DEST that is not empty and a backup that is not DONE (exit 1)', async () => {
    const occupied = join(server.dir, 'inproc-occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'x'), '');
    const run = await recover(['pg', 'latest', occupied]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /the destination exists and is not empty/);

    const failed = '20000101T000000';
    mkdirSync(join(server.layout.base, failed));
    writeFileSync(
      join(server.layout.base, failed, 'backup.info'),
      readFileSync(join(server.layout.base, backupId, 'backup.info'), 'utf8')
        .replace(/^backup_id=.*$/m, `backup_id=${failed}`)
        .replace(/^status=.*$/m, 'status=FAILED'),
    );
    shareWithPostgres(join(server.layout.base, failed));
    const refused = await recover(['pg', failed, join(server.dir, 'inproc-failed')]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /refused to recover '20000101T000000': the backup is FAILED/);
    assert.equal(existsSync(join(server.dir, 'inproc-failed')), false);
  });

  it('a Debian adoption with get-wal, a standby and a timeline, under a private /etc', async () => {
    const config = await loadConfig({ explicitFile: server.configFile });
    const etcRoot = join(server.dir, 'etc-postgresql');
    const dest = join(server.dir, 'inproc-debian');
    const { logger } = recordingLogger();
    const outcome = await runRecovery(config.servers.get('pg')!, {
      backup: backupId,
      destination: dest,
      target: { kind: 'latest' },
      targetTimeline: 'current',
      standby: true,
      tablespaces: new Map(),
      jobs: 2,
      getWal: true,
      barkeepCommand: "'barkeep' -c '/etc/barkeep.conf'",
      debianCluster: debianCluster('15/inproc', { port: 5999, etcRoot }),
      logger,
    });
    assert.equal(outcome.walFiles, 0);
    assert.equal(outcome.nextCommand, 'pg_ctlcluster 15 inproc start');
    assert.ok(existsSync(join(dest, 'standby.signal')));
    assert.equal(existsSync(join(dest, 'postgresql.conf')), false, 'moved to /etc');
    const conf = readFileSync(join(etcRoot, '15', 'inproc', 'postgresql.conf'), 'utf8');
    assert.equal(readSetting(conf, 'data_directory'), dest);
    assert.equal(readSetting(conf, 'port'), '5999');
    const auto = readFileSync(join(dest, 'postgresql.auto.conf'), 'utf8');
    assert.equal(
      readSetting(auto, 'restore_command'),
      "'barkeep' -c '/etc/barkeep.conf' get-wal --partial pg %f > %p",
    );
    assert.equal(readSetting(auto, 'recovery_target_timeline'), 'current');

    await assert.rejects(
      runRecovery(config.servers.get('pg')!, {
        backup: 'latest',
        destination: join(server.dir, 'inproc-debian-2'),
        target: { kind: 'latest' },
        tablespaces: new Map(),
        jobs: 1,
        getWal: false,
        barkeepCommand: 'barkeep',
        debianCluster: debianCluster('15/inproc', { etcRoot }),
        logger,
      }),
      (error: unknown) =>
        isBarkeepError(error, 'operationFailed') && /already exists/.test(error.why),
    );
    assert.equal(existsSync(join(server.dir, 'inproc-debian-2')), false);
  });
});
