// Every refusal of `recover` happens before anything is copied: DEST stays as it was (absent or
// untouched), no tablespace directory is created, and the error is one line saying why.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { smokeVersions } from '../support/cluster.ts';

const major = smokeVersions()[0] ?? 15;

describe(`recover refuses before copying anything, PostgreSQL ${major}`, () => {
  let server: ArchivedServer;
  let backupId: string;
  let endLsn: string;
  let dest: string;
  let tablespaceTarget: string;
  let counter = 0;

  /** Runs recover with `--tablespace ts1:<fresh dir>` into a fresh DEST unless given one. */
  const refused = async (
    args: string[],
    options: { dest?: string; code?: number; backup?: string } = {},
  ) => {
    counter++;
    dest = options.dest ?? join(server.dir, `dest-${counter}`);
    tablespaceTarget = join(server.dir, `ts-${counter}`);
    const run = await server.barkeep([
      'recover',
      '--tablespace',
      `ts1:${tablespaceTarget}`,
      ...args,
      server.name,
      options.backup ?? backupId,
      dest,
    ]);
    assert.equal(run.code, options.code ?? 1, run.stdout + run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^ERROR: /);
    assert.equal(existsSync(tablespaceTarget), false, 'no tablespace directory was created');
    return lines[0]!;
  };

  before(async () => {
    server = await startArchivedServer({ major, label: 'e2e-recover-refusals' });
    const tablespace = join(server.dir, 'ts-original');
    mkdirSync(tablespace);
    shareWithPostgres(tablespace);
    await server.cluster.query(`CREATE TABLESPACE ts1 LOCATION '${tablespace}'`);
    await server.cluster.query('CREATE TABLE t TABLESPACE ts1 AS SELECT generate_series(1, 100)');
    const backup = await server.barkeep(
      ['backup', '--wait', '--immediate-checkpoint', server.name],
      { timeoutMs: 120_000 },
    );
    assert.equal(backup.code, 0, backup.stdout + backup.stderr);
    const show = await server.barkeep(['-f', 'json', 'show-backup', server.name, 'latest']);
    const shown = (JSON.parse(show.stdout) as Record<string, Record<string, unknown>>)[
      server.name
    ]!;
    backupId = String(shown['backup_id']);
    endLsn = String(shown['end_xlog']);
    await server.cluster.query('INSERT INTO t SELECT generate_series(1, 100)');
    const switched = await server.barkeep(['switch-wal', '--archive', '--force', server.name], {
      timeoutMs: 90_000,
    });
    assert.equal(switched.code, 0, switched.stdout + switched.stderr);
  });
  after(async () => {
    await server?.stop();
  });

  it('a DEST that exists and is not empty, left untouched', async () => {
    const occupied = join(server.dir, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'keep.txt'), 'mine');
    shareWithPostgres(occupied);
    const error = await refused([], { dest: occupied });
    assert.match(error, /refused to recover '.*occupied': the destination exists and is not empty/);
    assert.deepEqual(readdirSync(occupied), ['keep.txt']);
    assert.equal(readFileSync(join(occupied, 'keep.txt'), 'utf8'), 'mine');
  });

  it('a DEST that is a file', async () => {
    const file = join(server.dir, 'a-file');
    writeFileSync(file, 'mine');
    shareWithPostgres(file);
    assert.match(await refused([], { dest: file }), /is not a directory/);
    assert.equal(readFileSync(file, 'utf8'), 'mine');
  });

  it("a tablespace's original directory in use (no --tablespace for it)", async () => {
    const target = join(server.dir, 'dest-in-use');
    const run = await server.barkeep(['recover', server.name, backupId, target]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /directory of tablespace ts1 exists and is not empty/);
    assert.equal(existsSync(target), false);
  });

  it('a target time before the end of the backup', async () => {
    const error = await refused(['--target-time', '2000-01-01 00:00:00+00']);
    assert.match(error, /ended at .*, after the target time/);
    assert.equal(existsSync(dest), false);
  });

  it('a target time after the newest WAL', async () => {
    const later = new Date(Date.now() + 24 * 3600_000).toISOString().replace('T', ' ');
    const error = await refused(['--target-time', later]);
    assert.match(error, /before the target time/);
    assert.equal(existsSync(dest), false);
  });

  it('a target LSN before the end of the backup', async () => {
    const error = await refused(['--target-lsn', '0/10']);
    assert.match(error, new RegExp(`ends at ${endLsn}, after the target LSN`));
    assert.equal(existsSync(dest), false);
  });

  it('a target LSN beyond the newest WAL', async () => {
    const error = await refused(['--target-lsn', 'FF/0']);
    assert.match(error, /beyond the newest WAL available/);
    assert.equal(existsSync(dest), false);
  });

  it('two targets at once (exit 2)', async () => {
    const error = await refused(['--target-name', 'x', '--target-xid', '1000'], { code: 2 });
    assert.match(error, /--target-xid and --target-name|--target-name and --target-xid/);
    assert.equal(existsSync(dest), false);
  });

  it('a malformed target (exit 2)', async () => {
    assert.match(await refused(['--target-lsn', 'nowhere'], { code: 2 }), /LSN/);
    assert.match(await refused(['--target-xid', '12a'], { code: 2 }), /whole number/);
    assert.match(await refused(['--target-time', 'yesterday'], { code: 2 }), /target time/);
    assert.equal(existsSync(dest), false);
  });

  it('an unknown --tablespace name (exit 2)', async () => {
    const elsewhere = join(server.dir, 'ts-unknown');
    const error = await refused(['--tablespace', `nosuch:${elsewhere}`], { code: 2 });
    assert.match(error, /unknown tablespace 'nosuch': backup \S+ has ts1/);
    assert.equal(existsSync(elsewhere), false);
    assert.equal(existsSync(dest), false);
  });

  it('a backup that is not DONE', async () => {
    const failedId = '20000101T000000';
    const directory = join(server.layout.base, failedId);
    mkdirSync(directory);
    const info = readFileSync(join(server.layout.base, backupId, 'backup.info'), 'utf8')
      .replace(/^backup_id=.*$/m, `backup_id=${failedId}`)
      .replace(/^status=.*$/m, 'status=FAILED');
    writeFileSync(join(directory, 'backup.info'), info);
    shareWithPostgres(directory);
    assert.match(await refused([], { backup: failedId }), /the backup is FAILED/);
    assert.match(await refused([], { backup: 'last-failed' }), /the backup is FAILED/);
    assert.equal(existsSync(dest), false);
  });

  it('not enough free space where DEST goes, nothing written there', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('mounting a small tmpfs needs root');
      return;
    }
    const tiny = join(server.dir, 'tiny');
    mkdirSync(tiny);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', tiny], {
        stdio: 'pipe',
      });
    } catch (error) {
      rmdirSync(tiny);
      t.skip(`cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0]}`);
      return;
    }
    try {
      shareWithPostgres(tiny);
      const error = await refused([], { dest: join(tiny, 'dest') });
      assert.match(error, /it needs about \d+ MiB and .* has \d+ MiB free/);
      assert.deepEqual(readdirSync(tiny), []);
    } finally {
      execFileSync('umount', [tiny]);
      rmdirSync(tiny);
    }
  });
});
