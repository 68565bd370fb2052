// The configuration kept outside PGDATA, restored from a hand-made backup directory: files back in
// a new configuration directory, postgresql.conf pointed at the new places.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { StoredConfigFile } from '../../src/backup/external-config-store.ts';
import { emptyBackupInfo } from '../../src/catalog/backup-info.ts';
import { backupDirectory } from '../../src/catalog/backup-paths.ts';
import { serverLayout } from '../../src/catalog/server-layout.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { readSetting } from '../../src/recovery/postgresql-conf-edit.ts';
import {
  planConfigRestore,
  readStoredConfigList,
  restoreExternalConfig,
} from '../../src/recovery/restore-config.ts';
import { lookupOsUser } from '../support/cluster.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-restore-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const layout = serverLayout('pg', { barman_home: join(scratch, 'home') });

const ETC = '/etc/postgresql/15/main';
const PGDATA = '/var/lib/postgresql/15/main';
const POSTGRESQL_CONF = [
  `data_directory = '${PGDATA}'`,
  `hba_file = '${ETC}/pg_hba.conf'`,
  `ident_file = '${PGDATA}/pg_ident.conf'`,
  "external_pid_file = '/var/run/postgresql/15-main.pid'",
  'port = 5432',
  "include_dir = 'conf.d'",
  "include '/srv/pg/extra.conf'",
  `include_if_exists '${ETC}/local.conf'`,
  '',
].join('\n');

/** A backup directory with `files` kept under external/ and listed in external-config.json. */
function handMadeBackup(id: string, files: Record<string, [string, number | null]>): void {
  const paths = backupDirectory(layout, id);
  const list: StoredConfigFile[] = [];
  for (const [original, [content, mode]] of Object.entries(files)) {
    const storedPath = `external${original}`;
    mkdirSync(dirname(join(paths.directory, storedPath)), { recursive: true });
    writeFileSync(join(paths.directory, storedPath), content);
    list.push({
      kind: 'config_file',
      originalPath: original,
      storedPath,
      size: content.length,
      mode,
      sha256: '',
    });
  }
  mkdirSync(paths.directory, { recursive: true });
  writeFileSync(join(paths.directory, 'external-config.json'), JSON.stringify(list));
}

const info = {
  ...emptyBackupInfo('20261124T100000'),
  status: 'DONE' as const,
  config_file: `${ETC}/postgresql.conf`,
  hba_file: `${ETC}/pg_hba.conf`,
  ident_file: `${PGDATA}/pg_ident.conf`,
  pgdata: PGDATA,
};

describe('restoreExternalConfig', () => {
  it('puts the files back under the new configuration directory and adjusts postgresql.conf', async () => {
    handMadeBackup(info.backup_id, {
      [`${ETC}/postgresql.conf`]: [POSTGRESQL_CONF, 0o644],
      [`${ETC}/pg_hba.conf`]: ['local all all peer\n', 0o640],
      [`${ETC}/conf.d/barkeep.conf`]: ["work_mem = '7MB'\n", null],
      [`${ETC}/local.conf`]: ['# nothing\n', 0o600],
      ['/srv/pg/extra.conf']: ["temp_buffers = '9MB'\n", 0o644],
    });
    const etc = join(scratch, 'etc');
    const data = join(scratch, 'data');
    const restored = await restoreExternalConfig(
      info,
      backupDirectory(layout, info.backup_id),
      { configDirectory: etc, dataDirectory: data, settings: { port: '6543' } },
      undefined,
    );
    assert.equal(restored.configFile, join(etc, 'postgresql.conf'));
    assert.deepEqual(restored.files, [
      join(etc, 'postgresql.conf'),
      join(etc, 'pg_hba.conf'),
      join(etc, 'conf.d', 'barkeep.conf'),
      join(etc, 'local.conf'),
      join(etc, 'barkeep-included', 'srv', 'pg', 'extra.conf'),
    ]);
    assert.equal(readFileSync(join(etc, 'conf.d', 'barkeep.conf'), 'utf8'), "work_mem = '7MB'\n");
    assert.equal(statSync(join(etc, 'pg_hba.conf')).mode & 0o777, 0o640);
    assert.equal(statSync(join(etc, 'local.conf')).mode & 0o777, 0o600);
    assert.equal(statSync(join(etc, 'conf.d', 'barkeep.conf')).mode & 0o777, 0o640, 'unknown mode');

    const conf = readFileSync(join(etc, 'postgresql.conf'), 'utf8');
    assert.equal(readSetting(conf, 'data_directory'), data);
    assert.equal(readSetting(conf, 'hba_file'), join(etc, 'pg_hba.conf'));
    assert.equal(readSetting(conf, 'ident_file'), join(data, 'pg_ident.conf'), 'inside PGDATA');
    assert.equal(readSetting(conf, 'external_pid_file'), undefined, 'the old pid file is gone');
    assert.equal(readSetting(conf, 'port'), '6543');
    assert.match(conf, /^include_dir = 'conf.d'$/m);
    assert.match(conf, new RegExp(`^include '${etc}/barkeep-included/srv/pg/extra.conf'$`, 'm'));
    assert.match(conf, new RegExp(`^include_if_exists '${etc}/local.conf'$`, 'm'));
    assert.match(conf, /^#data_directory = .*# barkeep recover: path of the original cluster$/m);
    assert.match(conf, /# Added by barkeep recover of backup 20261124T100000/);
  });

  it('does nothing when the backup kept nothing outside PGDATA', async () => {
    const paths = backupDirectory(layout, '20261124T110000');
    mkdirSync(paths.directory, { recursive: true });
    assert.deepEqual(await readStoredConfigList(paths), []);
    const restored = await restoreExternalConfig(
      info,
      paths,
      { configDirectory: join(scratch, 'unused'), dataDirectory: join(scratch, 'd') },
      undefined,
    );
    assert.deepEqual(restored, { files: [], configFile: undefined });
  });

  it('reports a missing kept file or an unreadable list as an I/O error', async () => {
    handMadeBackup('20261124T120000', { [`${ETC}/postgresql.conf`]: ['', 0o644] });
    const paths = backupDirectory(layout, '20261124T120000');
    rmSync(join(paths.directory, 'external'), { recursive: true });
    await assert.rejects(
      restoreExternalConfig(
        info,
        paths,
        { configDirectory: join(scratch, 'e2'), dataDirectory: join(scratch, 'd2') },
        undefined,
      ),
      (error: unknown) =>
        isBarkeepError(error, 'io') && /kept configuration file/.test(error.message),
    );
    writeFileSync(join(paths.directory, 'external-config.json'), '{not json');
    await assert.rejects(readStoredConfigList(paths), (error: unknown) =>
      isBarkeepError(error, 'io'),
    );
  });

  it('gives the files to the owner when one is set (as root)', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('chown needs root');
      return;
    }
    handMadeBackup('20261124T130000', {
      [`${ETC}/postgresql.conf`]: [POSTGRESQL_CONF, 0o644],
    });
    const user = lookupOsUser('postgres');
    const etc = join(scratch, 'etc-owned');
    await restoreExternalConfig(
      info,
      backupDirectory(layout, '20261124T130000'),
      { configDirectory: etc, dataDirectory: join(scratch, 'data') },
      { uid: user.uid, gid: user.gid },
    );
    assert.equal(statSync(join(etc, 'postgresql.conf')).uid, user.uid);
  });
});

describe('planConfigRestore', () => {
  it('maps paths under the config directory and elsewhere, and adjusts text without files', () => {
    const plan = planConfigRestore(
      { ...info, hba_file: null, ident_file: null },
      `${ETC}/postgresql.conf`,
      { configDirectory: '/new/etc', dataDirectory: '/new/data' },
    );
    assert.equal(plan.configFile, '/new/etc/postgresql.conf');
    assert.equal(plan.targetOf(`${ETC}/conf.d/x.conf`), '/new/etc/conf.d/x.conf');
    assert.equal(plan.targetOf('/opt/x.conf'), '/new/etc/barkeep-included/opt/x.conf');
    const text = plan.adjust("port = 5432\nhba_file = '/old'\n");
    assert.equal(readSetting(text, 'data_directory'), '/new/data');
    assert.equal(readSetting(text, 'hba_file'), undefined);
    assert.equal(readSetting(text, 'port'), '5432');
  });
});
