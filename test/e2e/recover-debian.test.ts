// The seed's workflow on a real Debian cluster: pg_createcluster (with data checksums and a conf.d
// setting), WAL through put-wal, a backup, pg_dropcluster, then `recover --debian-cluster
// --start` brings it back: pg_lsclusters lists it online, the conf.d setting holds, the rows are
// there. Needs root and Debian's PostgreSQL 15 with postgresql-common.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findFreePort } from '../../src/sandbox/free-port.ts';
import { shareWithPostgres } from '../support/archived-server.ts';
import { installCliForOsUser, runBarkeep } from '../support/cli.ts';
import { waitFor } from '../support/receiver.ts';

const VERSION = '15';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'pg_createcluster and /etc/postgresql need root';
  if (!existsSync('/usr/bin/pg_createcluster')) return 'postgresql-common is not installed';
  if (!existsSync(`/usr/lib/postgresql/${VERSION}/bin/postgres`))
    return `Debian's PostgreSQL ${VERSION} is not installed`;
  return undefined;
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe', timeout: 120_000 });
}

/** The pg_lsclusters line of a cluster: `{ port, status }`, or undefined. */
function listed(name: string): { port: string; status: string; data: string } | undefined {
  for (const line of run('pg_lsclusters', ['--no-header']).split('\n')) {
    const [version, cluster, port, status, , data] = line.trim().split(/\s+/);
    if (version === VERSION && cluster === name)
      return { port: port!, status: status!, data: data! };
  }
  return undefined;
}

const reason = skipReason();

describe('recover --debian-cluster: a dropped Debian cluster back online', { skip: reason }, () => {
  const name = `bkp_${randomBytes(4).toString('hex')}`;
  const etc = `/etc/postgresql/${VERSION}/${name}`;
  const dataDir = `/var/lib/postgresql/${VERSION}/${name}`;
  let port = 0;
  let dir = '';
  let configFile = '';
  let rows = 0;

  /** One value, through psql as the postgres OS user (Debian's pg_hba.conf: local peer). */
  const query = (sql: string): string =>
    run('runuser', [
      '-u',
      'postgres',
      '--',
      'psql',
      '-X',
      '-At',
      '-h',
      '/var/run/postgresql',
      '-p',
      String(port),
      '-d',
      'postgres',
      '-c',
      sql,
    ]).trim();
  const barkeep = (args: string[], asRoot = false) =>
    runBarkeep(['-c', configFile, ...args], {
      timeoutMs: 180_000,
      ...(asRoot ? {} : { asOsUser: 'postgres' }),
    });

  before(async () => {
    port = await findFreePort();
    dir = mkdtempSync(join(tmpdir(), 'barkeep-test-debian-'));
    configFile = join(dir, 'barkeep.conf');
    writeFileSync(
      configFile,
      [
        '[barkeep]',
        `barman_home = ${join(dir, 'home')}`,
        '',
        '[pg]',
        `conninfo = host=/var/run/postgresql port=${port} user=postgres dbname=postgres`,
        'archiver = on',
        '',
      ].join('\n'),
    );
    shareWithPostgres(dir);
    run('pg_createcluster', [VERSION, name, '-p', String(port), '--', '--data-checksums']);
    writeFileSync(join(etc, 'conf.d', 'barkeep-test.conf'), "work_mem = '7MB'\n");
    run('chown', ['postgres:postgres', join(etc, 'conf.d', 'barkeep-test.conf')]);
    run('pg_ctlcluster', [VERSION, name, 'start']);
    const launcher = installCliForOsUser();
    query('ALTER SYSTEM SET archive_mode = on');
    query(`ALTER SYSTEM SET archive_command = '${launcher} -c ${configFile} put-wal pg %p'`);
    run('pg_ctlcluster', [VERSION, name, 'restart']);
    query('CREATE TABLE t AS SELECT generate_series(1, 100) AS g');
    const backup = await barkeep(['backup', '--wait', '--immediate-checkpoint', 'pg']);
    assert.equal(backup.code, 0, backup.stdout + backup.stderr);
    query('INSERT INTO t SELECT generate_series(1, 50)');
    rows = 150;
    const switched = await barkeep(['switch-wal', '--archive', '--force', 'pg']);
    assert.equal(switched.code, 0, switched.stdout + switched.stderr);
    run('pg_dropcluster', ['--stop', VERSION, name]);
    assert.equal(listed(name), undefined);
    // pg_dropcluster leaves the files it did not create (our conf.d file) behind.
    rmSync(etc, { recursive: true, force: true });
    assert.equal(existsSync(dataDir), false);
  });
  after(() => {
    try {
      if (listed(name)) run('pg_dropcluster', ['--stop', VERSION, name]);
    } catch (error) {
      console.error(`cleanup of Debian cluster ${VERSION}/${name}: ${(error as Error).message}`);
    }
    rmSync(etc, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`/var/log/postgresql/postgresql-${VERSION}-${name}.log`, { force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('recovers with --start: online in pg_lsclusters with its conf.d setting and every row', async () => {
    const recovered = await barkeep(
      ['recover', '--debian-cluster', `${VERSION}/${name}`, '--start', 'pg', 'latest', dataDir],
      true,
    );
    assert.equal(recovered.code, 0, recovered.stdout + recovered.stderr);
    assert.match(recovered.stdout, new RegExp(`pg_ctlcluster ${VERSION} ${name} start`));
    assert.ok(existsSync(join(etc, 'conf.d', 'barkeep-test.conf')));
    await waitFor(() => listed(name)?.status === 'online', 'the cluster to be online', 90_000);
    const cluster = listed(name)!;
    assert.equal(cluster.port, String(port));
    assert.equal(cluster.data, dataDir);
    await waitFor(
      () => {
        try {
          return query('SELECT pg_is_in_recovery()') === 'f';
        } catch {
          return false;
        }
      },
      'the end of recovery',
      90_000,
    );
    assert.equal(query('SHOW work_mem'), '7MB');
    assert.equal(query('SHOW data_checksums'), 'on');
    assert.equal(query('SHOW archive_mode'), 'on', 'ALTER SYSTEM archive_mode kept');
    assert.equal(query('SHOW archive_command'), 'false');
    assert.equal(Number(query('SELECT count(*) FROM t')), rows);
    const [owner] = run('stat', ['-c', '%U', dataDir]).split('\n');
    assert.equal(owner, 'postgres');
  });

  it('refuses a cluster name that already exists, before copying anything', async () => {
    const elsewhere = join(dir, 'second');
    const refused = await barkeep(
      ['recover', '--debian-cluster', `${VERSION}/${name}`, 'pg', 'latest', elsewhere],
      true,
    );
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /Debian cluster .* already exists/);
    assert.equal(existsSync(elsewhere), false);
  });
});
