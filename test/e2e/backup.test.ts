// Base backups through the built CLI, as the postgres OS user: a Debian-layout cluster with a
// tablespace is backed up with its configuration from /etc/postgresql/..., verified against its
// manifest and its WAL checked; a compressed backup verifies too; the catalog is listed and shown
// with its selectors; a backup whose connection is killed, and one whose barkeep process is
// killed, end FAILED without getting in the next backup's way; delete honours keep and
// minimum_redundancy.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { releaseKeep, setKeepTarget } from '../../src/catalog/backup-keep.ts';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { installCliForOsUser } from '../support/cli.ts';
import { lookupOsUser, smokeVersions } from '../support/cluster.ts';
import { waitFor } from '../support/receiver.ts';

const BACKUP_ID = /Backup (\d{8}T\d{6})/;

/** Runs `backup --immediate-checkpoint` (with `--wait` unless told) and returns the new ID. */
async function takeBackup(server: ArchivedServer, extra: string[] = ['--wait']): Promise<string> {
  const run = await server.barkeep(['backup', '--immediate-checkpoint', ...extra, 'pg']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /: DONE\n/);
  return BACKUP_ID.exec(run.stdout)![1]!;
}

/**
 * Leaves a hundred-odd dirty buffers behind: a spread checkpoint paces its writes over
 * checkpoint_completion_target x checkpoint_timeout (minutes), so a backup without
 * --immediate-checkpoint waits long enough to be killed. Little WAL, so --wait stays quick.
 */
async function dirtyBuffers(server: ArchivedServer): Promise<void> {
  await server.cluster.query(
    "CREATE TABLE IF NOT EXISTS ballast AS SELECT g, repeat('x', 100) AS filler FROM generate_series(1, 1) g",
  );
  await server.cluster.query(
    "INSERT INTO ballast SELECT g, repeat('y', 100) FROM generate_series(1, 8000) g",
  );
}

/** The PID of the walsender serving a base backup, once it is waiting for its checkpoint. */
async function baseBackupSender(server: ArchivedServer): Promise<number> {
  let pid: number | undefined;
  await waitFor(
    async () => {
      const rows = await server.cluster.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_progress_basebackup',
      );
      pid = rows[0]?.pid;
      return pid !== undefined;
    },
    'a base backup in pg_stat_progress_basebackup',
    20_000,
  );
  return pid!;
}

/** True when the cluster's postgres binary was built with zstd (BASE_BACKUP COMPRESSION zstd). */
function serverHasZstd(server: ArchivedServer): boolean {
  const libraries = execFileSync('ldd', [join(server.cluster.binDir, 'postgres')], {
    encoding: 'utf8',
  });
  return /libzstd/.test(libraries);
}

function backupStatus(server: ArchivedServer, id: string): string {
  const info = readFileSync(join(server.layout.base, id, 'backup.info'), 'utf8');
  return /^status=(.*)$/m.exec(info)![1]!;
}

for (const major of smokeVersions()) {
  describe(`backup, verify-backup, check-backup, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    let tablespaceOid: number;
    let first: string;
    let compressed: string;
    before(async () => {
      server = await startArchivedServer({ major, label: 'e2e-backup', debianLayout: {} });
      const location = join(server.cluster.baseDir, 'tablespace');
      mkdirSync(location);
      const owner = lookupOsUser(server.cluster.osUser);
      chownSync(location, owner.uid, owner.gid);
      await server.cluster.query(`CREATE TABLESPACE spare LOCATION '${location}'`);
      await server.cluster.query('CREATE TABLE kept (g int, t text) TABLESPACE spare');
      await server.cluster.query(
        'INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(1, 5000) g',
      );
      const [row] = await server.cluster.query<{ oid: number }>(
        "SELECT oid FROM pg_tablespace WHERE spcname = 'spare'",
      );
      tablespaceOid = Number(row!.oid);
    });
    after(async () => {
      await server?.stop();
    });

    it('backs up a cluster with a tablespace and its configuration; verify-backup and check-backup pass', async () => {
      first = await takeBackup(server, ['--wait', '--name', 'baseline']);
      const tablespaceCopy = join(server.layout.base, first, String(tablespaceOid));
      assert.ok(readdirSync(tablespaceCopy).some((name) => name.startsWith(`PG_${major}_`)));
      // Debian keeps the configuration in /etc/postgresql/<version>/<cluster>/, outside PGDATA.
      const configDir = server.cluster.configDir!;
      const external = join(server.layout.base, first, 'external', configDir.slice(1));
      for (const name of ['postgresql.conf', 'pg_hba.conf', 'pg_ident.conf', 'start.conf']) {
        assert.deepEqual(readFileSync(join(external, name)), readFileSync(join(configDir, name)));
      }
      const verify = await server.barkeep(['verify-backup', 'pg', first]);
      assert.equal(verify.code, 0, verify.stderr);
      assert.match(
        verify.stdout,
        new RegExp(`^Backup ${first} of server pg: OK \\(\\d+ files verified\\)\\n$`),
      );
      const check = await server.barkeep(['check-backup', 'pg', 'baseline']);
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stdout, new RegExp(`^Backup ${first} of server pg: OK \\(\\d+ WAL`));
    });

    it('verify-backup exits 3 naming a file with one byte flipped, and passes once restored', async () => {
      const [{ path }] = (await server.cluster.query<{ path: string }>(
        "SELECT pg_relation_filepath('kept') AS path",
      )) as [{ path: string }];
      // pg_tblspc/<oid>/PG_..../<db>/<file> is stored as base/<id>/<oid>/PG_..../<db>/<file>.
      const relative = path.split('/').slice(2).join('/');
      const stored = join(server.layout.base, first, String(tablespaceOid), relative);
      const original = readFileSync(stored);
      const damaged = Buffer.from(original);
      damaged[4096 + 100] = damaged[4096 + 100]! ^ 0xff;
      writeFileSync(stored, damaged);
      try {
        const verify = await server.barkeep(['verify-backup', 'pg', first]);
        assert.equal(verify.code, 3, verify.stderr);
        const errorLines = verify.stderr.trim().split('\n');
        assert.equal(errorLines.length, 1, verify.stderr);
        assert.match(errorLines[0]!, /^ERROR: backup verification failed '.*'/);
        assert.ok(errorLines[0]!.includes(`'${stored}'`), verify.stderr);
        assert.match(errorLines[0]!, /checksum .* 1 problem found/);
      } finally {
        writeFileSync(stored, original);
      }
      const again = await server.barkeep(['verify-backup', 'pg', first]);
      assert.equal(again.code, 0, again.stderr);
    });

    it('verify-backup checks the configuration files kept from outside PGDATA too', async () => {
      const stored = join(
        server.layout.base,
        first,
        'external',
        server.cluster.configDir!.slice(1),
        'pg_hba.conf',
      );
      const original = readFileSync(stored);
      writeFileSync(stored, Buffer.concat([original, Buffer.from('# changed\n')]));
      try {
        const damaged = await server.barkeep(['verify-backup', 'pg', first]);
        assert.equal(damaged.code, 3);
        assert.ok(damaged.stderr.includes(`'${stored}': its size is `), damaged.stderr);
      } finally {
        writeFileSync(stored, original);
      }
    });

    it('verifies a zstd-compressed backup (compressed on the server when it can)', async () => {
      // The embedded PostgreSQL builds lack zstd; barkeep compresses on the client for them.
      const location = serverHasZstd(server) ? 'server' : 'client';
      server.writeConfig([
        'backup_compression = zstd',
        `backup_compression_location = ${location}`,
      ]);
      try {
        compressed = await takeBackup(server, []);
      } finally {
        server.writeConfig();
      }
      const data = readdirSync(join(server.layout.base, compressed, 'data')).sort();
      assert.deepEqual(data, [`${tablespaceOid}.tar.zst`, 'backup_manifest', 'base.tar.zst']);
      const verify = await server.barkeep(['verify-backup', 'pg', 'latest', '-j', '2']);
      assert.equal(verify.code, 0, verify.stderr);
      assert.match(verify.stdout, new RegExp(`^Backup ${compressed} of server pg: OK`));
    });

    it('lists backups newest first, shows one, and resolves latest, oldest and a name', async () => {
      const list = await server.barkeep(['list-backups', 'pg']);
      assert.equal(list.code, 0, list.stderr);
      const lines = list.stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0]!, new RegExp(`^pg ${compressed} - .* - Size: `));
      assert.match(lines[1]!, new RegExp(`^pg ${first} 'baseline' - `));
      const json = await server.barkeep(['-f', 'json', 'show-backup', 'pg', 'latest']);
      assert.equal(json.code, 0, json.stderr);
      const shown = JSON.parse(json.stdout).pg;
      assert.equal(shown.backup_id, compressed);
      assert.equal(shown.status, 'DONE');
      assert.equal(shown.compression, 'zstd');
      assert.deepEqual(
        shown.tablespaces.map((t: { name: string; oid: number }) => [t.name, t.oid]),
        [['spare', tablespaceOid]],
      );
      for (const selector of ['oldest', 'baseline']) {
        const show = await server.barkeep(['show-backup', 'pg', selector]);
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, new RegExp(`^Backup ${first}:\\n`));
        assert.match(show.stdout, /Backup Name +: baseline\n/);
        assert.match(show.stdout, new RegExp(`spare: .*tablespace \\(oid: ${tablespaceOid}\\)`));
        assert.match(show.stdout, new RegExp(`Next Backup +: ${compressed}\\n`));
        assert.ok(show.stdout.includes(`\n    ${server.cluster.configFile}\n`), show.stdout);
      }
      const none = await server.barkeep(['show-backup', 'pg', 'last-failed']);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no FAILED backup/);
    });

    it('records a backup whose replication connection is killed as FAILED, with the error', async () => {
      await dirtyBuffers(server);
      // A spread checkpoint over many dirty buffers: the backup waits long enough to be killed.
      const running = server.barkeep(['backup', 'pg']);
      const pid = await baseBackupSender(server);
      await server.cluster.query('SELECT pg_terminate_backend($1)', [pid]);
      const run = await running;
      assert.equal(run.code, 1, run.stdout);
      assert.doesNotMatch(run.stderr, /unexpected failure/);
      assert.match(
        run.stderr.trim().split('\n').pop()!,
        /^ERROR: base backup failed '\d{8}T\d{6}': the server ended it: terminating connection due to administrator command \(SQLSTATE 57P01\)\. /,
      );
      const failed = await server.barkeep(['-f', 'json', 'show-backup', 'pg', 'last-failed']);
      assert.equal(failed.code, 0, failed.stderr);
      const info = JSON.parse(failed.stdout).pg;
      assert.equal(info.status, 'FAILED');
      assert.match(info.error, /terminat/i);
      const list = await server.barkeep(['list-backups', 'pg']);
      assert.match(list.stdout, new RegExp(`^pg ${info.backup_id} - FAILED \\(.*terminat`, 'im'));
    });

    it('shows a backup whose barkeep process was killed as FAILED at the next list-backups', async () => {
      await dirtyBuffers(server);
      const before = new Set(readdirSync(server.layout.base));
      const user = process.getuid?.() === 0 ? lookupOsUser('postgres') : undefined;
      const child = spawn(installCliForOsUser(), ['-c', server.configFile, 'backup', 'pg'], {
        stdio: 'ignore',
        env: { ...process.env, NODE_V8_COVERAGE: '', ...(user ? { HOME: user.home } : {}) },
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await baseBackupSender(server);
      const [id] = readdirSync(server.layout.base).filter((name) => !before.has(name));
      assert.ok(id, 'the backup directory exists');
      assert.equal(backupStatus(server, id), 'STARTED');
      child.kill('SIGKILL');
      await exited;
      const list = await server.barkeep(['list-backups', 'pg']);
      assert.equal(list.code, 0, list.stderr);
      assert.match(
        list.stdout,
        new RegExp(
          `^pg ${id} - FAILED \\(barkeep process ${child.pid} ended before the backup completed\\)$`,
          'm',
        ),
      );
      assert.equal(backupStatus(server, id), 'FAILED');
    });

    it('takes the next backup after both failures', async () => {
      const next = await takeBackup(server);
      const verify = await server.barkeep(['verify-backup', 'pg', next]);
      assert.equal(verify.code, 0, verify.stderr);
      const check = await server.barkeep(['check-backup', 'pg', 'latest']);
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stdout, new RegExp(`^Backup ${next} of server pg: OK`));
    });

    it('deletes a backup, refusing a kept one and one that minimum_redundancy needs', async () => {
      await setKeepTarget(server.layout, first, 'full');
      shareWithPostgres(server.dir);
      const kept = await server.barkeep(['delete', 'pg', first]);
      assert.equal(kept.code, 1);
      assert.match(kept.stderr, /refused to delete backup .*it is kept \(target full\)/);
      await releaseKeep(server.layout, first);

      const failed = await server.barkeep(['delete', 'pg', 'last-failed']);
      assert.equal(failed.code, 0, failed.stderr);
      assert.match(failed.stdout, /^Deleted backup \d{8}T\d{6} of server pg\n$/);

      const done = readdirSync(server.layout.base)
        .filter((id) => /^\d{8}T\d{6}$/.test(id))
        .filter((id) => backupStatus(server, id) === 'DONE');
      server.writeConfig([`minimum_redundancy = ${done.length}`]);
      const needed = await server.barkeep(['delete', 'pg', 'oldest']);
      assert.equal(needed.code, 1);
      assert.match(needed.stderr, /minimum_redundancy is \d+/);
      assert.ok(existsSync(join(server.layout.base, first)));

      server.writeConfig(['minimum_redundancy = 1']);
      const deleted = await server.barkeep(['delete', 'pg', 'oldest']);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(deleted.stdout, `Deleted backup ${first} of server pg\n`);
      assert.ok(!existsSync(join(server.layout.base, first)));
      server.writeConfig();
    });
  });
}
