import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { keepTarget } from '../../src/catalog/backup-keep.ts';
import { lockPath } from '../../src/catalog/server-layout.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { applyRetention } from '../../src/retention/apply-retention.ts';
import { keepBackup } from '../../src/retention/keep-backup.ts';
import { acquireLock } from '../../src/storage/process-lock.ts';
import { wal } from './catalog-fixtures.ts';
import { type DiskCatalog, diskCatalog, writeBackup, writeWal } from './disk-catalog.ts';

const DAY = 86_400_000;
const now = new Date();
const ago = (days: number) => new Date(now.getTime() - days * DAY);
const IDS = ['20250101T000000', '20250102T000000', '20250103T000000'];

/** Three backups starting at segments 3, 6 and 9, WAL 1..12, history files, one bad line. */
async function threeBackups(lines: string[]): Promise<DiskCatalog> {
  const made = await diskCatalog(lines);
  await writeBackup(made.layout, IDS[0]!, { beginWal: wal(3), endWal: wal(4), end: ago(3) });
  await writeBackup(made.layout, IDS[1]!, { beginWal: wal(6), endWal: wal(7), end: ago(2) });
  await writeBackup(made.layout, IDS[2]!, { beginWal: wal(9), endWal: wal(10), end: ago(1) });
  const segments = Array.from({ length: 12 }, (_, i) => wal(i + 1));
  await writeWal(made.layout, ['00000001.history', ...segments, `${wal(6)}.00000028.backup`]);
  await writeFile(made.layout.xlogDb, 'not a line\n', { flag: 'a' });
  return made;
}

async function indexed(made: DiskCatalog): Promise<string[]> {
  return (await readFile(made.layout.xlogDb, 'utf8')).trim().split('\n');
}

async function backupsOnDisk(made: DiskCatalog): Promise<string[]> {
  return (await readdir(made.layout.base)).sort();
}

describe('applyRetention', () => {
  it('does nothing when no policy is configured', async () => {
    const made = await threeBackups([]);
    const outcome = await applyRetention(made.server, { logger: silentLogger });
    assert.equal(outcome.enforced, false);
    assert.deepEqual(await backupsOnDisk(made), IDS);
    assert.equal((await indexed(made)).length, 15);
  });

  it('dry run: reports what would go and changes nothing', async () => {
    const made = await threeBackups(['retention_policy = REDUNDANCY 1']);
    const outcome = await applyRetention(made.server, { dryRun: true, logger: silentLogger });
    assert.deepEqual(
      outcome.statuses.map((s) => s.status),
      ['OBSOLETE', 'OBSOLETE', 'VALID'],
    );
    assert.deepEqual(outcome.deletedBackups, IDS.slice(0, 2));
    assert.deepEqual(
      outcome.removedWal,
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => wal(n)).concat(`${wal(6)}.00000028.backup`),
    );
    assert.equal(outcome.removedWalBytes, 9000);
    assert.equal(outcome.walCutoff, wal(9));
    assert.deepEqual(await backupsOnDisk(made), IDS);
    assert.equal((await indexed(made)).length, 15);
  });

  it('deletes the obsolete backups and the WAL before the oldest one that stays', async () => {
    const made = await threeBackups(['retention_policy = REDUNDANCY 1']);
    const outcome = await applyRetention(made.server, { logger: silentLogger });
    assert.deepEqual(outcome.deletedBackups, IDS.slice(0, 2));
    assert.deepEqual(await backupsOnDisk(made), [IDS[2]]);
    const lines = await indexed(made);
    assert.deepEqual(
      lines.map((line) => line.split('\t')[0]),
      ['00000001.history', wal(9), wal(10), wal(11), wal(12), 'not a line'],
    );
    const walDir = join(made.layout.wals, wal(1).slice(0, 16));
    assert.deepEqual(
      (await readdir(walDir)).sort(),
      [9, 10, 11, 12].map((n) => wal(n)),
    );
    assert.ok(existsSync(join(made.layout.wals, '00000001.history')));
    // A second pass has nothing left to do.
    const again = await applyRetention(made.server, { logger: silentLogger });
    assert.deepEqual(again.deletedBackups, []);
    assert.deepEqual(again.removedWal, []);
  });

  it('keeps a standalone keep with exactly its begin..end WAL', async () => {
    const made = await threeBackups(['retention_policy = REDUNDANCY 1']);
    await keepBackup(made.server, IDS[0]!, { kind: 'keep', target: 'standalone' });
    const outcome = await applyRetention(made.server, { logger: silentLogger });
    assert.equal(outcome.statuses[0]!.status, 'KEEP:STANDALONE');
    assert.deepEqual(outcome.deletedBackups, [IDS[1]]);
    assert.deepEqual(await backupsOnDisk(made), [IDS[0], IDS[2]]);
    assert.deepEqual(
      (await indexed(made)).map((line) => line.split('\t')[0]),
      ['00000001.history', wal(3), wal(4), wal(9), wal(10), wal(11), wal(12), 'not a line'],
    );
  });

  it('removes the empty WAL directories and the leftovers of an interrupted delete', async () => {
    const made = await diskCatalog(['retention_policy = REDUNDANCY 1']);
    const next = '00000001000000010000000A';
    await writeBackup(made.layout, IDS[0]!, { beginWal: wal(5), endWal: wal(6), end: ago(2) });
    await writeBackup(made.layout, IDS[1]!, { beginWal: next, endWal: next, end: ago(1) });
    await writeWal(made.layout, [wal(5), wal(6), next]);
    await mkdir(join(made.layout.base, '.20240101T000000.deleting', 'data'), { recursive: true });
    await applyRetention(made.server, { logger: silentLogger });
    assert.equal(existsSync(join(made.layout.wals, wal(5).slice(0, 16))), false);
    assert.deepEqual(await backupsOnDisk(made), [IDS[1]]);
  });

  it('fails with lockHeld while a backup holds the lock; a dry run still works', async () => {
    const made = await threeBackups(['retention_policy = REDUNDANCY 1']);
    const lock = await acquireLock(lockPath(made.layout, 'backup'), 'backup');
    try {
      await assert.rejects(applyRetention(made.server, { logger: silentLogger }), (error) =>
        isBarkeepError(error, 'lockHeld'),
      );
      const dry = await applyRetention(made.server, { dryRun: true, logger: silentLogger });
      assert.equal(dry.deletedBackups.length, 2);
    } finally {
      await lock.release();
    }
    assert.deepEqual(await backupsOnDisk(made), IDS);
  });

  it('measures the recovery window from `now`', async () => {
    const made = await threeBackups(['retention_policy = RECOVERY WINDOW OF 1 DAYS']);
    const today = await applyRetention(made.server, { dryRun: true, now, logger: silentLogger });
    assert.deepEqual(today.deletedBackups, [IDS[0]]);
    const later = await applyRetention(made.server, {
      dryRun: true,
      now: new Date(now.getTime() + 10 * DAY),
      logger: silentLogger,
    });
    assert.deepEqual(later.deletedBackups, IDS.slice(0, 2));
  });
});

describe('keepBackup', () => {
  it('keeps, reports and releases, removing the annotations directory', async () => {
    const made = await threeBackups([]);
    const kept = await keepBackup(made.server, 'oldest', { kind: 'keep', target: 'full' });
    assert.deepEqual(kept, { backupId: IDS[0], target: 'full' });
    assert.equal(await keepTarget(made.layout, IDS[0]!), 'full');
    const status = await keepBackup(made.server, IDS[0]!, { kind: 'status' });
    assert.equal(status.target, 'full');
    await keepBackup(made.server, IDS[0]!, { kind: 'release' });
    assert.equal((await keepBackup(made.server, IDS[0]!, { kind: 'status' })).target, undefined);
    assert.equal(existsSync(join(made.layout.base, IDS[0]!, 'annotations')), false);
  });

  it('refuses a backup that is not DONE', async () => {
    const made = await diskCatalog([]);
    await writeBackup(made.layout, IDS[0]!, {
      beginWal: wal(3),
      endWal: wal(4),
      end: ago(1),
      status: 'FAILED',
    });
    await assert.rejects(
      keepBackup(made.server, IDS[0]!, { kind: 'keep', target: 'standalone' }),
      (error) => isBarkeepError(error, 'operationFailed') && /status FAILED/.test(error.why),
    );
  });

  it('reads an annotation with another target as full, as Barman does', async () => {
    const made = await threeBackups([]);
    await mkdir(join(made.layout.base, IDS[1]!, 'annotations'));
    await writeFile(join(made.layout.base, IDS[1]!, 'annotations', 'keep'), 'something');
    assert.equal(await keepTarget(made.layout, IDS[1]!), 'full');
  });
});
