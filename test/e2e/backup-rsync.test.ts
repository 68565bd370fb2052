// The seed's backup method through the built CLI: `backup_method = rsync` over an ssh_command
// into a private test sshd (the "database host" is this machine's postgres account), a second
// backup reusing the first by hard links, verify-backup, and a recovery that starts and counts;
// Debian's configuration outside PGDATA and a tablespace come along.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ArchivedServer, startArchivedServer } from '../support/archived-server.ts';
import { lookupOsUser } from '../support/cluster.ts';
import {
  archiveCurrentSegment,
  countRecovered,
  recover,
  settleStops,
} from '../support/recover-steps.ts';
import { sshdUnavailableReason, startTestSshd, type TestSshd } from '../support/sshd.ts';

const missing =
  spawnSync('rsync', ['--version']).status !== 0
    ? 'rsync is not installed (.ci/run installs it)'
    : sshdUnavailableReason();

describe('backup_method = rsync over ssh_command', { skip: missing ?? false }, () => {
  let server: ArchivedServer;
  let sshd: TestSshd;
  let bigFile: string;
  let tablespaceOid: number;
  const ids: string[] = [];

  before(async () => {
    // Debian's layout: the configuration lives outside PGDATA, as in the seed.
    server = await startArchivedServer({ label: 'e2e-rsync-backup', debianLayout: {} });
    sshd = await startTestSshd();
    server.writeConfig([
      'backup_method = rsync',
      `ssh_command = ${sshd.sshCommand}`,
      'reuse_backup = link',
      'parallel_jobs = 2',
      'network_compression = true',
    ]);
    const { cluster } = server;
    await cluster.query(
      'CREATE TABLE big WITH (autovacuum_enabled = off) AS SELECT g, md5(g::text) AS t FROM generate_series(1, 50000) g',
    );
    await cluster.query('VACUUM (FREEZE) big');
    const location = join(cluster.baseDir, 'tablespace');
    mkdirSync(location);
    const owner = lookupOsUser(cluster.osUser);
    chownSync(location, owner.uid, owner.gid);
    await cluster.query(`CREATE TABLESPACE spare LOCATION '${location}'`);
    await cluster.query(
      'CREATE TABLE kept TABLESPACE spare AS SELECT generate_series(1, 700) AS g',
    );
    const [space] = await cluster.query<{ oid: number }>(
      "SELECT oid FROM pg_tablespace WHERE spcname = 'spare'",
    );
    tablespaceOid = Number(space!.oid);
    await cluster.query('CREATE TABLE t (g int)');
    await cluster.query('INSERT INTO t SELECT generate_series(1, 1000)');
    await cluster.query('CHECKPOINT');
    const [row] = await cluster.query<{ path: string }>(
      "SELECT pg_relation_filepath('big') AS path",
    );
    bigFile = row!.path;
    // Let the set-up's files age past the reuse horizon (files changed within about a second of
    // the previous backup's start are always copied again).
    await new Promise((resolve) => setTimeout(resolve, 2500));
  });
  after(async () => {
    await settleStops();
    await sshd?.stop();
    await server?.stop();
  });

  async function backup(): Promise<string> {
    const run = await server.barkeep(['backup', '--wait', '--immediate-checkpoint', 'pg'], {
      timeoutMs: 180_000,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr + run.stdout,
      /Copying the cluster with rsync from the PostgreSQL host 'postgres@127\.0\.0\.1'/,
    );
    const shown = await server.barkeep(['-f', 'json', 'show-backup', 'pg', 'latest']);
    assert.equal(shown.code, 0, shown.stderr);
    const info = JSON.parse(shown.stdout).pg;
    assert.equal(info.status, 'DONE');
    ids.push(info.backup_id);
    return info.backup_id;
  }

  it('copies the cluster over ssh with a manifest that verify-backup accepts', async () => {
    const id = await backup();
    const data = join(server.layout.base, id, 'data');
    assert.ok(existsSync(join(data, 'backup_label')));
    assert.ok(existsSync(join(data, 'backup_manifest')));
    assert.ok(!existsSync(join(data, 'postmaster.pid')));
    assert.ok(
      readdirSync(join(server.layout.base, id, String(tablespaceOid))).some((name) =>
        name.startsWith('PG_'),
      ),
      'the tablespace is copied beside data/',
    );
    // The configuration kept from outside PGDATA, fetched over ssh with the cluster.
    const configDir = server.cluster.configDir!;
    const external = join(server.layout.base, id, 'external', configDir.slice(1));
    for (const name of ['postgresql.conf', 'pg_hba.conf', 'start.conf'])
      assert.deepEqual(readFileSync(join(external, name)), readFileSync(join(configDir, name)));
    const verify = await server.barkeep(['verify-backup', 'pg', id]);
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
  });

  it('hard-links unchanged files into the next backup and shows the deduplicated size', async () => {
    await server.cluster.query('INSERT INTO t SELECT generate_series(1001, 1500)');
    const id = await backup();
    const first = lstatSync(join(server.layout.base, ids[0]!, 'data', bigFile));
    const second = lstatSync(join(server.layout.base, id, 'data', bigFile));
    assert.equal(second.ino, first.ino, 'the unchanged table is a hard link to the first copy');
    const list = await server.barkeep(['list-backups', 'pg']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      new RegExp(`^pg ${id} - .* - Size: .* - Incremental: .* - WAL Size: `, 'm'),
    );
    const show = await server.barkeep(['show-backup', 'pg', id]);
    assert.match(show.stdout, /\n {4}Incremental size +: \S+ \S+ \(-\d+\.\d\d%\)\n/);
  });

  it('is recovered by recover; the copy starts with every row', async () => {
    await server.cluster.query('INSERT INTO t SELECT generate_series(1501, 1600)');
    await archiveCurrentSegment(server);
    const destination = join(server.dir, 'recovered');
    const relocated = join(server.dir, 'recovered-spare');
    await recover(server, [
      '--target-action',
      'promote',
      '--tablespace',
      `spare:${relocated}`,
      'pg',
      'latest',
      destination,
    ]);
    // Every table in one start: t (changed), big (hard-linked from the first backup), kept (in
    // the relocated tablespace).
    const all = '(SELECT g FROM t UNION ALL SELECT g FROM big UNION ALL SELECT g FROM kept) AS r';
    assert.equal(await countRecovered(destination, server.cluster.major, all), 1600 + 50000 + 700);
  });
});
