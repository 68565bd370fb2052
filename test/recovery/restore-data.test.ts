// A backup's files into DEST from hand-made plain and gzip-compressed backups: the data
// directory, each tablespace in its placement, pg_tblspc links and tablespace_map.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { emptyBackupInfo } from '../../src/catalog/backup-info.ts';
import { backupDirectory } from '../../src/catalog/backup-paths.ts';
import { serverLayout } from '../../src/catalog/server-layout.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { copyTree } from '../../src/recovery/copy-tree.ts';
import { restoreData } from '../../src/recovery/restore-data.ts';
import { lookupOsUser } from '../support/cluster.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-restore-data-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const layout = serverLayout('pg', { barman_home: join(scratch, 'home') });
const OID = 16384;

function write(path: string, content: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, content);
  chmodSync(path, mode);
}

/** A PGDATA-like tree and a tablespace tree in `root`. */
function makeTrees(root: string): { data: string; tablespace: string } {
  const data = join(root, 'data');
  const tablespace = join(root, String(OID));
  write(join(data, 'PG_VERSION'), '15\n');
  write(join(data, 'base', '5', '1259'), 'catalog');
  write(join(data, 'backup_label'), 'START WAL LOCATION: 0/2000028\n');
  write(join(data, 'postgresql.conf'), 'port = 5432\n', 0o644);
  mkdirSync(join(data, 'pg_tblspc'), { recursive: true });
  symlinkSync('/old/tablespace/location', join(data, 'pg_tblspc', String(OID)));
  write(join(tablespace, 'PG_15_202209061', '5', '16385'), 'rows in the tablespace');
  return { data, tablespace };
}

const placement = (name: string) => ({ name: 'ts1', oid: OID, location: join(scratch, name) });
const owner =
  process.getuid?.() === 0
    ? (({ uid, gid }) => ({ uid, gid }))(lookupOsUser('postgres'))
    : undefined;

function assertRestored(dest: string, tablespace: string): void {
  assert.equal(readFileSync(join(dest, 'PG_VERSION'), 'utf8'), '15\n');
  assert.equal(readFileSync(join(dest, 'base', '5', '1259'), 'utf8'), 'catalog');
  assert.equal(readlinkSync(join(dest, 'pg_tblspc', String(OID))), tablespace);
  assert.equal(
    readFileSync(join(tablespace, 'PG_15_202209061', '5', '16385'), 'utf8'),
    'rows in the tablespace',
  );
  assert.equal(readFileSync(join(dest, 'tablespace_map'), 'utf8'), `${OID} ${tablespace}\n`);
  if (owner) {
    assert.equal(statSync(join(dest, 'base', '5', '1259')).uid, owner.uid);
    assert.equal(statSync(join(dest, 'base', '5')).uid, owner.uid, 'directories too');
    assert.equal(statSync(dest).uid, owner.uid);
    assert.equal(statSync(join(tablespace, 'PG_15_202209061')).uid, owner.uid);
    assert.equal(statSync(tablespace).uid, owner.uid);
  }
}

describe('copyTree', () => {
  it('copies directories with their modes, files, symbolic links; skips top-level names', async () => {
    const source = join(scratch, 'tree');
    write(join(source, 'a', 'b', 'file'), 'x'.repeat(1000), 0o640);
    write(join(source, 'top'), 'y');
    write(join(source, 'skipped'), 'z');
    write(join(source, 'a', 'skipped'), 'deeper ones stay');
    chmodSync(join(source, 'a'), 0o750);
    symlinkSync('a/b/file', join(source, 'link'));
    const target = join(scratch, 'tree-copy');
    const result = await copyTree(source, target, { jobs: 8, skip: new Set(['skipped']) });
    assert.deepEqual(result, { files: 3, bytes: 1000 + 1 + 16 });
    assert.equal(statSync(join(target, 'a')).mode & 0o777, 0o750);
    assert.equal(statSync(join(target, 'a', 'b', 'file')).mode & 0o777, 0o640);
    assert.equal(readlinkSync(join(target, 'link')), 'a/b/file');
    assert.equal(existsSync(join(target, 'skipped')), false);
    assert.equal(readFileSync(join(target, 'a', 'skipped'), 'utf8'), 'deeper ones stay');
  });

  it('reports a missing source as an I/O error', async () => {
    await assert.rejects(
      copyTree(join(scratch, 'nope'), join(scratch, 'nope-copy'), { jobs: 1 }),
      (error: unknown) => isBarkeepError(error, 'io'),
    );
  });
});

describe('restoreData', () => {
  it('a plain backup: data (without barkeep files), the tablespace relocated and linked', async () => {
    const id = '20261124T100000';
    const paths = backupDirectory(layout, id);
    const trees = makeTrees(paths.directory);
    write(join(trees.data, 'backup_manifest'), '{}');
    const info = { ...emptyBackupInfo(id), status: 'DONE' as const };
    const dest = join(scratch, 'plain-dest');
    const where = placement('plain-ts');
    const result = await restoreData(info, paths, dest, [where], { jobs: 4, owner });
    assert.equal(result.files, 5);
    assertRestored(dest, where.location);
    assert.equal(existsSync(join(dest, 'backup_manifest')), false);
    assert.equal(statSync(join(dest, 'postgresql.conf')).mode & 0o777, 0o644);
  });

  it('a compressed backup: base.tar.gz and <oid>.tar.gz unpacked into their places', async () => {
    const id = '20261124T110000';
    const paths = backupDirectory(layout, id);
    const trees = makeTrees(join(scratch, 'to-pack'));
    mkdirSync(paths.data, { recursive: true });
    const tar = (from: string, archive: string) =>
      execFileSync('tar', ['--format=ustar', '-czf', join(paths.data, archive), '-C', from, '.']);
    tar(trees.data, 'base.tar.gz');
    tar(trees.tablespace, `${OID}.tar.gz`);
    const info = { ...emptyBackupInfo(id), status: 'DONE' as const, compression: 'gzip' };
    const dest = join(scratch, 'gzip-dest');
    const where = placement('gzip-ts');
    const result = await restoreData(info, paths, dest, [where], { jobs: 4, owner });
    assert.equal(result.files, 5);
    assertRestored(dest, where.location);
  });

  it('a compressed backup without its archive is an incomplete backup', async () => {
    const id = '20261124T120000';
    const paths = backupDirectory(layout, id);
    mkdirSync(paths.data, { recursive: true });
    const info = { ...emptyBackupInfo(id), status: 'DONE' as const, compression: 'zstd' };
    await assert.rejects(
      restoreData(info, paths, join(scratch, 'never'), [], { jobs: 1 }),
      (error: unknown) =>
        isBarkeepError(error, 'operationFailed') && /there is no base.tar archive/.test(error.why),
    );
  });

  it('a corrupt archive is reported as such', async () => {
    const id = '20261124T130000';
    const paths = backupDirectory(layout, id);
    write(join(paths.data, 'base.tar.gz'), 'not gzip at all, not tar either');
    const info = { ...emptyBackupInfo(id), status: 'DONE' as const, compression: 'gzip' };
    await assert.rejects(
      restoreData(info, paths, join(scratch, 'corrupt-dest'), [], { jobs: 1 }),
      (error: unknown) => isBarkeepError(error),
    );
  });
});
