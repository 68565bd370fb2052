// backup_method = local-rsync in-process on a throwaway cluster with a tablespace, an unlogged
// table, temporary files and a file name that is not UTF-8: what is copied and what is left out,
// backup.info, the manifest verify-backup checks, reuse_backup = link and copy (hard links,
// deduplicated_size), -j, a recovery that starts and counts rows, and the failures (an
// unreachable ssh host, reuse with the postgres method).
import assert from 'node:assert/strict';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BackupRequest, runBackup } from '../../src/backup/run-backup.ts';
import { verifyBackup } from '../../src/backup/verify-backup.ts';
import { waitForBackupWals } from '../../src/backup/wait-for-wals.ts';
import { type BackupInfo, readBackupInfo } from '../../src/catalog/backup-info.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { lookupOsUser, testVersions } from '../support/cluster.ts';
import { startRecoveredCluster } from '../support/recovered-cluster.ts';
import { runCliInProcess } from '../support/run-cli-in-process.ts';

const major = testVersions()[0]!;
const strayName = Buffer.concat([Buffer.from('stray-'), Buffer.from([0xff, 0x41])]);

let server: ArchivedServer;
let tablespaceOid: number;
let bigFile: string;
let scratch: string;

async function serverConfig(): Promise<ServerConfig> {
  return (await loadConfig({ explicitFile: server.configFile })).servers.get('pg')!;
}

/** An in-process backup with these server lines (backup_method local-rsync by default). */
async function backup(
  lines: string[] = [],
  request: Partial<BackupRequest> = {},
): Promise<BackupInfo> {
  const method = lines.some((line) => line.startsWith('backup_method'))
    ? []
    : ['backup_method = local-rsync'];
  server.writeConfig([...method, ...lines]);
  try {
    return await runBackup(await serverConfig(), {
      logger: silentLogger,
      immediateCheckpoint: true,
      ...request,
    });
  } finally {
    server.writeConfig(['backup_method = local-rsync']);
    shareWithPostgres(server.dir);
  }
}

function stored(id: string, ...parts: string[]): string {
  return join(server.layout.base, id, ...parts);
}

async function assertVerifies(id: string): Promise<void> {
  const verification = await verifyBackup(await serverConfig(), id, { jobs: 2 });
  assert.deepEqual(verification.problems, []);
  assert.ok(verification.filesChecked > 100, String(verification.filesChecked));
}

before(async () => {
  server = await startArchivedServer({ major, label: 'rsync-backup' });
  scratch = mkdtempSync(join(tmpdir(), 'barkeep-rsync-test-'));
  const owner = lookupOsUser(server.cluster.osUser);
  const location = join(server.cluster.baseDir, 'spare');
  mkdirSync(location);
  chownSync(location, owner.uid, owner.gid);
  const { cluster } = server;
  await cluster.query(`CREATE TABLESPACE spare LOCATION '${location}'`);
  await cluster.query('CREATE TABLE kept (g int, t text) TABLESPACE spare');
  await cluster.query('INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(1, 3000) g');
  await cluster.query(
    'CREATE TABLE big WITH (autovacuum_enabled = off) AS SELECT g, repeat(md5(g::text), 4) AS t FROM generate_series(1, 40000) g',
  );
  // Frozen and out of autovacuum's reach: its file must not change between two backups.
  await cluster.query('VACUUM (FREEZE) big');
  await cluster.query('CREATE TABLE changing (g int)');
  await cluster.query('INSERT INTO changing SELECT generate_series(1, 100)');
  await cluster.query('CREATE UNLOGGED TABLE scratchpad AS SELECT generate_series(1, 500) g');
  await cluster.query('CHECKPOINT');
  const [row] = await cluster.query<{ oid: number }>(
    "SELECT oid FROM pg_tablespace WHERE spcname = 'spare'",
  );
  tablespaceOid = Number(row!.oid);
  const [big] = await cluster.query<{ path: string }>("SELECT pg_relation_filepath('big') AS path");
  bigFile = big!.path;
  const extra = (relative: string | Buffer, text: string) => {
    const path = Buffer.concat([Buffer.from(`${cluster.dataDir}/`), Buffer.from(relative)]);
    writeFileSync(path, text);
    chownSync(path, owner.uid, owner.gid);
  };
  mkdirSync(join(cluster.dataDir, 'base', 'pgsql_tmp'), { recursive: true });
  chownSync(join(cluster.dataDir, 'base', 'pgsql_tmp'), owner.uid, owner.gid);
  extra('base/pgsql_tmp/pgsql_tmp99.0', 'temporary');
  extra('pg_stat_tmp/leftover', 'runtime');
  extra('backup_label.old', 'old label');
  extra(strayName, 'not UTF-8\n');
  // Files written less than a second or two before a backup starts are always copied again by
  // the next one (its safety horizon): let the set-up's files age past it.
  await new Promise((done) => setTimeout(done, 2500));
});
after(async () => {
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('backup_method = local-rsync', () => {
  let first: BackupInfo;

  it('copies PGDATA and the tablespace, leaves out what pg_basebackup leaves out', async () => {
    first = await backup([], { name: 'first' });
    assert.equal(first.status, 'DONE');
    assert.equal(first.mode, 'rsync-concurrent');
    assert.equal((await readBackupInfo(stored(first.backup_id, 'backup.info'))).status, 'DONE');
    assert.match(first.backup_label!, /^START WAL LOCATION: /);
    assert.equal(first.begin_xlog, /START WAL LOCATION: (\S+)/.exec(first.backup_label!)![1]);
    assert.ok(first.begin_wal! <= first.end_wal!);
    assert.deepEqual(first.tablespaces, [
      { name: 'spare', oid: tablespaceOid, location: join(server.cluster.baseDir, 'spare') },
    ]);
    assert.equal(first.pgdata, server.cluster.dataDir);
    assert.equal(first.deduplicated_size, first.size);
    assert.ok(first.cluster_size! > 1_000_000);
    const data = stored(first.backup_id, 'data');
    for (const name of ['postmaster.pid', 'postmaster.opts', 'backup_label.old'])
      assert.ok(!existsSync(join(data, name)), name);
    assert.deepEqual(readdirSync(join(data, 'pg_wal')), ['archive_status']);
    assert.deepEqual(readdirSync(join(data, 'pg_stat_tmp')), []);
    assert.ok(!existsSync(join(data, 'base', 'pgsql_tmp')));
    assert.ok(existsSync(join(data, 'pg_replslot')));
    const [unlogged] = await server.cluster.query<{ path: string }>(
      "SELECT pg_relation_filepath('scratchpad') AS path",
    );
    assert.ok(existsSync(join(data, `${unlogged!.path}_init`)));
    assert.ok(!existsSync(join(data, unlogged!.path)));
    assert.ok(existsSync(Buffer.concat([Buffer.from(`${data}/`), strayName])));
    assert.match(readFileSync(join(data, 'backup_label'), 'utf8'), /^START WAL LOCATION/);
    assert.match(
      readFileSync(join(data, 'tablespace_map'), 'utf8'),
      new RegExp(`^${tablespaceOid} `),
    );
    assert.equal(
      readlinkSync(join(data, 'pg_tblspc', String(tablespaceOid))),
      `../../${tablespaceOid}`,
    );
    assert.ok(
      readdirSync(stored(first.backup_id, String(tablespaceOid))).some((name) =>
        name.startsWith(`PG_${major}_`),
      ),
    );
    assert.equal(statSync(join(data, 'base')).mode & 0o777, 0o700);
    await assertVerifies(first.backup_id);
  });

  it('with reuse_backup = link, hard-links the files that did not change', async () => {
    await server.cluster.query('UPDATE changing SET g = g + 1');
    await server.cluster.query('CHECKPOINT');
    const second = await backup(['reuse_backup = link']);
    assert.equal(second.status, 'DONE');
    const before = lstatSync(stored(first.backup_id, 'data', bigFile));
    const after = lstatSync(stored(second.backup_id, 'data', bigFile));
    assert.equal(after.ino, before.ino);
    assert.ok(after.nlink >= 2);
    const [changing] = await server.cluster.query<{ path: string }>(
      "SELECT pg_relation_filepath('changing') AS path",
    );
    assert.notEqual(
      lstatSync(stored(second.backup_id, 'data', changing!.path)).ino,
      lstatSync(stored(first.backup_id, 'data', changing!.path)).ino,
    );
    assert.ok(second.deduplicated_size! < second.size! / 2, `${second.deduplicated_size}`);
    await assertVerifies(second.backup_id);
    await assertVerifies(first.backup_id);
  });

  it('with --reuse-backup copy and two jobs, copies unchanged files from the previous one', async () => {
    const third = await backup([], { reuseBackup: 'copy', jobs: 2 });
    assert.equal(Number(third.copy_stats?.['number_of_workers']), 2);
    const latest = lstatSync(stored(third.backup_id, 'data', bigFile));
    assert.equal(latest.nlink, 1);
    assert.equal(third.deduplicated_size, third.size);
    await assertVerifies(third.backup_id);
  });

  it('is recovered by recover and starts with every row', async () => {
    // Recovery copies names as UTF-8 text: the stray name would not survive it.
    rmSync(Buffer.concat([Buffer.from(`${server.cluster.dataDir}/`), strayName]));
    const info = await backup(['reuse_backup = link'], { jobs: 3 });
    await server.cluster.query('SELECT pg_switch_wal()');
    await waitForBackupWals(await serverConfig(), info, {
      timeoutSeconds: 60,
      logger: silentLogger,
    });
    const destination = join(server.dir, 'recovered');
    const run = await runCliInProcess([
      '-c',
      server.configFile,
      'recover',
      'pg',
      info.backup_id,
      destination,
      '--tablespace',
      `spare:${join(server.dir, 'spare-recovered')}`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const recovered = await startRecoveredCluster(destination, major);
    try {
      await recovered.waitUntilPromoted(90_000);
      const [kept] = await recovered.query<{ n: string }>('SELECT count(*) AS n FROM kept');
      const [big] = await recovered.query<{ n: string }>('SELECT count(*) AS n FROM big');
      assert.deepEqual([Number(kept!.n), Number(big!.n)], [3000, 40000]);
    } finally {
      await recovered.stop();
    }
  });
});

describe('rsync backup failures', () => {
  it('names the host that cannot be reached and records the backup FAILED', async () => {
    await assert.rejects(
      backup([
        'backup_method = rsync',
        'ssh_command = ssh -p 1 -o BatchMode=yes -o ConnectTimeout=5 nobody@127.0.0.1',
      ]),
      (error: unknown) => {
        assert.ok(isBarkeepError(error, 'operationFailed'));
        assert.match(error.toLine(), /nobody@127\.0\.0\.1/);
        return true;
      },
    );
    const ids = readdirSync(server.layout.base).sort();
    const info = await readBackupInfo(stored(ids.at(-1)!, 'backup.info'));
    assert.equal(info.status, 'FAILED');
    assert.equal(info.mode, 'rsync-concurrent');
  });

  it('refuses reuse with the postgres method', async () => {
    server.writeConfig(['reuse_backup = link']);
    await assert.rejects(
      runBackup(await serverConfig(), { logger: silentLogger }),
      (error: unknown) => isBarkeepError(error, 'configInvalidValue'),
    );
    server.writeConfig(['backup_method = local-rsync']);
  });
});
