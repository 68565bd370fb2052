import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { startThrowawayCluster, testVersions, useCluster } from '../support/cluster.ts';

const major = testVersions()[0]!;

describe('throwaway cluster with the Debian layout', () => {
  const handle = useCluster({
    major,
    label: 'debian',
    debianLayout: { cluster: 'main' },
    settings: { work_mem: '5MB' },
    hbaLines: ['host all alice 127.0.0.1/32 scram-sha-256'],
  });

  it('keeps the configuration in etc/postgresql/<ver>/<cluster> and PGDATA elsewhere', async () => {
    const { cluster } = handle;
    const configDir = join(cluster.baseDir, 'etc', 'postgresql', String(major), 'main');
    assert.equal(cluster.configDir, configDir);
    assert.equal(cluster.configFile, join(configDir, 'postgresql.conf'));
    assert.equal(cluster.dataDir, join(cluster.baseDir, 'data'));
    const show = async (name: string): Promise<string> => {
      const [row] = await cluster.query<Record<string, string>>(`SHOW ${name}`);
      return row![name]!;
    };
    assert.equal(await show('config_file'), join(configDir, 'postgresql.conf'));
    assert.equal(await show('hba_file'), join(configDir, 'pg_hba.conf'));
    assert.equal(await show('ident_file'), join(configDir, 'pg_ident.conf'));
    assert.equal(await show('data_directory'), cluster.dataDir);
    assert.equal(await show('cluster_name'), `${major}/main`);
    assert.equal(await show('work_mem'), '5MB', 'the caller settings went to the moved file');
    assert.equal(await show('log_line_prefix'), '%m [%p] %q%u@%d ', 'conf.d is included');

    assert.deepEqual(readdirSync(configDir).sort(), [
      'conf.d',
      'environment',
      'pg_ctl.conf',
      'pg_hba.conf',
      'pg_ident.conf',
      'postgresql.conf',
      'start.conf',
    ]);
    assert.deepEqual(readdirSync(join(configDir, 'conf.d')), ['00-sandbox.conf']);
    assert.match(readFileSync(join(configDir, 'start.conf'), 'utf8'), /^auto$/m);
    assert.match(
      readFileSync(join(configDir, 'postgresql.conf'), 'utf8'),
      /^include_dir = 'conf.d'$/m,
    );
    assert.match(readFileSync(join(configDir, 'pg_hba.conf'), 'utf8'), /^host all alice /m);
    assert.equal(statSync(join(configDir, 'pg_hba.conf')).mode & 0o777, 0o640);
    assert.equal(statSync(join(configDir, 'postgresql.conf')).mode & 0o777, 0o644);
    for (const name of ['postgresql.conf', 'pg_hba.conf', 'pg_ident.conf']) {
      assert.equal(existsSync(join(cluster.dataDir, name)), false, `${name} left PGDATA`);
    }
    const rules = await cluster.query<{ user_name: string[] }>(
      'SELECT user_name FROM pg_hba_file_rules ORDER BY line_number LIMIT 1',
    );
    assert.deepEqual(rules[0]?.user_name, ['alice']);
  });

  it('starts the server as pg_ctlcluster does, also after a restart', async () => {
    const { cluster } = handle;
    const argv = () => readFileSync(`/proc/${cluster.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv().includes(`config_file=${cluster.configFile}`), argv().join(' '));
    await cluster.restart();
    assert.ok(argv().includes(`config_file=${cluster.configFile}`));
    assert.deepEqual(await cluster.query('SELECT 1 AS one'), [{ one: 1 }]);
  });
});

describe('throwaway cluster Debian layout options', () => {
  it('takes a version and cluster name, and refuses unsafe ones', async () => {
    await assert.rejects(
      startThrowawayCluster({ major, label: 'debian-bad', debianLayout: { cluster: '../x' } }),
      (error: unknown) => isBarkeepError(error, 'usage'),
    );
    const cluster = await startThrowawayCluster({
      major,
      label: 'debian-named',
      debianLayout: { version: '99', cluster: 'other' },
    });
    try {
      assert.equal(cluster.configDir, join(cluster.baseDir, 'etc', 'postgresql', '99', 'other'));
      assert.deepEqual(await cluster.query('SHOW cluster_name'), [{ cluster_name: '99/other' }]);
    } finally {
      await cluster.stop();
    }
    assert.equal(existsSync(cluster.baseDir), false);
  });
});
