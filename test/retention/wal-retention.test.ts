import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redundancyReport } from '../../src/retention/redundancy-policy.ts';
import type { CatalogBackup, RetentionReport } from '../../src/retention/retention-types.ts';
import { planWalRetention, walRemovable } from '../../src/retention/wal-retention.ts';
import { backup, wal } from './catalog-fixtures.ts';

/** The segments 1..n of timeline 1, then `extra`. */
function archive(n: number, extra: string[] = []): string[] {
  return [...Array.from({ length: n }, (_, i) => wal(i + 1)), ...extra];
}

/** The names the plan for `report` lets go. */
function removed(catalog: readonly CatalogBackup[], report: RetentionReport, names: string[]) {
  const plan = planWalRetention(catalog, report);
  return names.filter((name) => walRemovable(name, plan));
}

describe('WAL retention (wal_retention_policy = main)', () => {
  it('removes nothing without backups', () => {
    const plan = planWalRetention([], new Map());
    assert.equal(plan.cutoff, undefined);
    assert.equal(walRemovable(wal(1), plan), false);
  });

  it('keeps everything from the oldest backup that stays, and removes what is before it', () => {
    const catalog = [backup(3, { wal: 3 }), backup(2, { wal: 6 }), backup(1, { wal: 9 })];
    const report = redundancyReport(catalog, 2, 0);
    assert.deepEqual(removed(catalog, report, archive(12)), [
      wal(1),
      wal(2),
      wal(3),
      wal(4),
      wal(5),
    ]);
    assert.equal(planWalRetention(catalog, report).anchorId, catalog[1]!.backupId);
  });

  it('with one backup, removes only the WAL from before it', () => {
    const catalog = [backup(1, { wal: 4 })];
    const report = redundancyReport(catalog, 1, 0);
    assert.deepEqual(removed(catalog, report, archive(6)), [wal(1), wal(2), wal(3)]);
  });

  it('keeps timeline history files and the backup history file of the anchor', () => {
    const catalog = [backup(2, { wal: 3 }), backup(1, { wal: 5 })];
    const report = redundancyReport(catalog, 1, 0);
    const names = archive(6, [
      '00000001.history',
      '00000002.history',
      `${wal(3)}.00000028.backup`,
      `${wal(5)}.00000060.backup`,
      `${wal(4)}.partial`,
    ]);
    assert.deepEqual(removed(catalog, report, names), [
      wal(1),
      wal(2),
      wal(3),
      wal(4),
      `${wal(3)}.00000028.backup`,
      `${wal(4)}.partial`,
    ]);
  });

  it('keeps exactly the begin..end WAL of an older standalone keep', () => {
    const catalog = [
      backup(4, { wal: 2, endWal: 3, keep: 'standalone' }),
      backup(3, { wal: 6 }),
      backup(2, { wal: 8 }),
      backup(1, { wal: 10 }),
    ];
    const report = redundancyReport(catalog, 2, 0);
    assert.equal(report.get(catalog[1]!.backupId), 'OBSOLETE');
    assert.deepEqual(removed(catalog, report, archive(12, [`${wal(2)}.00000028.backup`])), [
      wal(1),
      wal(4),
      wal(5),
      wal(6),
      wal(7),
    ]);
  });

  it('keeps all WAL from a full keep on', () => {
    const catalog = [
      backup(3, { wal: 2, keep: 'full' }),
      backup(2, { wal: 6 }),
      backup(1, { wal: 9 }),
    ];
    const report = redundancyReport(catalog, 1, 0);
    assert.deepEqual(removed(catalog, report, archive(12)), [wal(1)]);
  });

  it('when only standalone keeps stay, keeps all WAL from the newest of them', () => {
    const catalog = [
      backup(4, { wal: 2, keep: 'standalone' }),
      backup(3, { wal: 5 }),
      backup(2, { wal: 7, keep: 'standalone' }),
    ];
    const report = new Map(redundancyReport(catalog, 1, 0));
    assert.equal(report.get(catalog[1]!.backupId), 'OBSOLETE');
    assert.deepEqual(removed(catalog, report, archive(9)), [wal(1), wal(4), wal(5), wal(6)]);
  });

  it('ignores failed backups, and lets a WAITING_FOR_WALS one hold its WAL', () => {
    const catalog = [
      backup(4, { wal: 2, status: 'FAILED' }),
      backup(3, { wal: 4, status: 'WAITING_FOR_WALS' }),
      backup(2, { wal: 6 }),
      backup(1, { wal: 8 }),
    ];
    const report = redundancyReport(catalog, 1, 0);
    assert.equal(report.get(catalog[0]!.backupId), '-');
    assert.deepEqual(removed(catalog, report, archive(9)), [wal(1), wal(2), wal(3)]);
  });

  it('never removes WAL of another timeline a staying backup lies on', () => {
    // A backup on timeline 1 kept standalone, the newer ones on timeline 2.
    const catalog = [
      backup(3, { wal: 2, keep: 'standalone' }),
      backup(2, { wal: 5, timeline: 2 }),
      backup(1, { wal: 7, timeline: 2 }),
    ];
    const report = redundancyReport(catalog, 1, 0);
    const names = [...archive(6), wal(4, 2), wal(5, 2), wal(6, 2), wal(8, 2)];
    // Timeline 1 is protected (a staying backup starts on it); on timeline 2, WAL before the
    // anchor (the newest backup, at 7: the one at 5 is obsolete) goes.
    assert.deepEqual(removed(catalog, report, names), [wal(4, 2), wal(5, 2), wal(6, 2)]);
  });

  it('removes WAL of older timelines no staying backup needs', () => {
    const catalog = [backup(2, { wal: 5, timeline: 2 }), backup(1, { wal: 7, timeline: 2 })];
    const report = redundancyReport(catalog, 1, 0);
    const names = [...archive(6), wal(6, 2), wal(7, 2), wal(8, 2), '00000002.history'];
    assert.deepEqual(removed(catalog, report, names), [...archive(6), wal(6, 2)]);
  });

  it('ignores files whose names are not WAL names', () => {
    const catalog = [backup(1, { wal: 5 })];
    const plan = planWalRetention(catalog, redundancyReport(catalog, 1, 0));
    assert.equal(walRemovable('garbage', plan), false);
    assert.equal(walRemovable(`${wal(1)}.gz`, plan), false);
  });
});
