// --debian-cluster: the spec and settings, the refusal of an existing cluster, and the adoption
// of a restored directory under a private /etc/postgresql root.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { emptyBackupInfo } from '../../src/catalog/backup-info.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import {
  adoptDebianCluster,
  debianCluster,
  prepareDebianCluster,
} from '../../src/recovery/debian-cluster.ts';
import { readSetting } from '../../src/recovery/postgresql-conf-edit.ts';
import { lookupOsUser } from '../support/cluster.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-debian-cluster-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const etcRoot = join(scratch, 'etc', 'postgresql');
const info = { ...emptyBackupInfo('20261124T100000'), status: 'DONE' as const };
const hasPostgresqlCommon = existsSync('/usr/bin/pg_ctlcluster');

describe('debianCluster', () => {
  it('parses VER/NAME and gives the cluster its name, pid file and port', () => {
    const cluster = debianCluster('15/bkp_1', { port: 5444, start: true, etcRoot });
    assert.equal(cluster.version, '15');
    assert.equal(cluster.name, 'bkp_1');
    assert.equal(cluster.start, true);
    assert.equal(cluster.configDirectory, join(etcRoot, '15', 'bkp_1'));
    assert.deepEqual(cluster.settings, {
      cluster_name: "'15/bkp_1'",
      external_pid_file: "'/var/run/postgresql/15-bkp_1.pid'",
      port: '5444',
    });
    assert.equal(debianCluster('15/main', {}).configDirectory, '/etc/postgresql/15/main');
    assert.equal(debianCluster('15/main', {}).start, false);
  });

  it('keeps the backed-up port without --port; before 15, a stats_temp_directory too', () => {
    const old = debianCluster('9.6/main', {});
    assert.equal(old.settings['port'], undefined);
    assert.equal(
      old.settings['stats_temp_directory'],
      "'/var/run/postgresql/9.6-main.pg_stat_tmp'",
    );
    assert.equal(debianCluster('16/x', {}).settings['stats_temp_directory'], undefined);
  });

  it('refuses anything but VERSION/NAME', () => {
    for (const spec of ['main', '15', '15/', '/main', '15/a/b', 'x/main', '15/ma in']) {
      assert.throws(
        () => debianCluster(spec, {}),
        (error: unknown) => isBarkeepError(error, 'usage') && /VERSION\/NAME/.test(error.why),
        spec,
      );
    }
  });
});

describe('prepareDebianCluster', () => {
  it('refuses a cluster whose configuration directory exists', async () => {
    const cluster = debianCluster('15/taken', { etcRoot });
    mkdirSync(cluster.configDirectory, { recursive: true });
    await assert.rejects(prepareDebianCluster(cluster), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'operationFailed'));
      assert.match(error.why, /Debian cluster 15\/taken already exists/);
      assert.match(error.hint, /pg_dropcluster 15 taken/);
      return true;
    });
  });

  it('accepts a new name when postgresql-common is there, refuses without it', async () => {
    const cluster = debianCluster('15/new', { etcRoot });
    if (hasPostgresqlCommon) await prepareDebianCluster(cluster);
    else
      await assert.rejects(prepareDebianCluster(cluster), (error: unknown) =>
        isBarkeepError(error, 'operationFailed'),
      );
  });
});

describe('adoptDebianCluster', () => {
  const owner =
    process.getuid?.() === 0
      ? (({ uid, gid }) => ({ uid, gid }))(lookupOsUser('postgres'))
      : undefined;

  it('moves the configuration out of DEST when the backup kept none outside PGDATA', async () => {
    const dest = join(scratch, 'dest-moved');
    mkdirSync(dest);
    writeFileSync(join(dest, 'postgresql.conf'), "data_directory = '/old'\nport = 5432\n");
    writeFileSync(join(dest, 'pg_hba.conf'), 'local all all trust\n');
    const cluster = debianCluster('15/moved', { port: 5499, etcRoot });
    const next = await adoptDebianCluster(cluster, dest, info, false, owner);
    assert.equal(next, 'pg_ctlcluster 15 moved start');
    const etc = cluster.configDirectory;
    assert.equal(existsSync(join(dest, 'postgresql.conf')), false);
    assert.equal(existsSync(join(dest, 'pg_hba.conf')), false);
    assert.equal(readFileSync(join(etc, 'pg_hba.conf'), 'utf8'), 'local all all trust\n');
    const conf = readFileSync(join(etc, 'postgresql.conf'), 'utf8');
    assert.equal(readSetting(conf, 'data_directory'), dest);
    assert.equal(readSetting(conf, 'hba_file'), join(etc, 'pg_hba.conf'));
    assert.equal(readSetting(conf, 'ident_file'), join(etc, 'pg_ident.conf'));
    assert.equal(readSetting(conf, 'port'), '5499');
    assert.equal(readSetting(conf, 'cluster_name'), '15/moved');
    assert.equal(readFileSync(join(etc, 'start.conf'), 'utf8'), 'auto\n');
    assert.ok(existsSync(join(etc, 'pg_ctl.conf')));
    assert.ok(existsSync(join(etc, 'environment')));
    assert.equal(statSync(etc).mode & 0o777, 0o755);
    if (owner) assert.equal(statSync(join(etc, 'postgresql.conf')).uid, owner.uid);
  });

  it('keeps a restored configuration and its own start.conf', async () => {
    const cluster = debianCluster('15/restored', { etcRoot });
    mkdirSync(cluster.configDirectory, { recursive: true });
    writeFileSync(join(cluster.configDirectory, 'postgresql.conf'), 'port = 5432\n');
    writeFileSync(join(cluster.configDirectory, 'start.conf'), 'manual\n');
    const dest = join(scratch, 'dest-restored');
    mkdirSync(dest);
    await adoptDebianCluster(cluster, dest, info, true, owner);
    assert.equal(readFileSync(join(cluster.configDirectory, 'start.conf'), 'utf8'), 'manual\n');
    assert.equal(
      readFileSync(join(cluster.configDirectory, 'postgresql.conf'), 'utf8'),
      'port = 5432\n',
    );
  });

  it('--start: a cluster pg_ctlcluster cannot start is reported with its log', async (t) => {
    if (!hasPostgresqlCommon) {
      t.skip('postgresql-common is not installed');
      return;
    }
    // pg_ctlcluster reads /etc/postgresql, where this private cluster does not exist.
    const cluster = debianCluster('15/barkeep_unit_absent', { etcRoot, start: true });
    const dest = join(scratch, 'dest-start');
    mkdirSync(dest);
    writeFileSync(join(dest, 'postgresql.conf'), 'port = 5432\n');
    await assert.rejects(
      adoptDebianCluster(cluster, dest, info, false, owner),
      (error: unknown) => {
        assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
        assert.equal(error.what, 'cannot start the recovered cluster');
        assert.match(error.hint, /postgresql-15-barkeep_unit_absent\.log/);
        return true;
      },
    );
  });
});
