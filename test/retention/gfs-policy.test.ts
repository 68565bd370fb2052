import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValueError } from '../../src/config/value-parsers.ts';
import { gfsReport, periodKey } from '../../src/retention/gfs-policy.ts';
import {
  formatGfsSchedule,
  type GfsSchedule,
  parseGfsSchedule,
} from '../../src/retention/gfs-schedule.ts';
import type { CatalogBackup } from '../../src/retention/retention-types.ts';
import { backup, NOW, statuses } from './catalog-fixtures.ts';

const schedule = (text: string): GfsSchedule => parseGfsSchedule(text);

/** The IDs a report keeps (anything but OBSOLETE), oldest first. */
function keptDaysAgo(catalog: readonly CatalogBackup[], days: readonly number[], text: string) {
  const report = gfsReport(catalog, schedule(text), 0);
  return days.filter((_, index) => report.get(catalog[index]!.backupId) !== 'OBSOLETE');
}

describe('retention_gfs syntax', () => {
  it('reads counts with d/w/m/y units in any order, spaces or commas, any case', () => {
    assert.deepEqual(parseGfsSchedule('7d 4w 12m'), { days: 7, weeks: 4, months: 12, years: 0 });
    assert.deepEqual(parseGfsSchedule(' 2Y, 30D '), { days: 30, weeks: 0, months: 0, years: 2 });
    assert.equal(formatGfsSchedule(parseGfsSchedule('12m,7d  4w')), '7d 4w 12m');
  });

  it('refuses empty schedules, zero counts, repeated units and other words', () => {
    for (const raw of ['', ' , ', '0d', '7d 3d', 'd7', '7 days', '7h', '-1d']) {
      assert.throws(() => parseGfsSchedule(raw), ValueError, raw);
    }
  });
});

describe('GFS periods', () => {
  it('files a time under its local day, ISO week, month and year', () => {
    const monday = new Date(2024, 11, 30, 10, 0); // the first day of ISO week 2025-W01
    assert.equal(periodKey(monday, 'days'), '2024-12-30');
    assert.equal(periodKey(monday, 'weeks'), '2025-W01');
    assert.equal(periodKey(monday, 'months'), '2024-12');
    assert.equal(periodKey(monday, 'years'), '2024');
    assert.equal(periodKey(new Date(2021, 0, 3, 23, 59), 'weeks'), '2020-W53'); // a Sunday
    assert.equal(periodKey(new Date(2026, 2, 15, 12, 0), 'weeks'), '2026-W11');
    assert.equal(periodKey(new Date(2026, 2, 16, 0, 0), 'weeks'), '2026-W12');
  });
});

describe('GFS policy', () => {
  it('reports nothing for an empty catalog and keeps a single backup', () => {
    assert.equal(gfsReport([], schedule('7d'), 0).size, 0);
    const one = [backup(500)];
    assert.deepEqual(statuses(one, gfsReport(one, schedule('1d'), 0)), ['VALID']);
  });

  it('keeps the newest backup of each of the last N days that have one', () => {
    // Two backups a day for 10 days: 9.9 and 9.2 days ago, ..., 0.9 and 0.2 days ago.
    const days = Array.from({ length: 10 }, (_, i) => 9 - i).flatMap((d) => [d + 0.3, d + 0.1]);
    const catalog = days.map((d) => backup(d));
    const kept = keptDaysAgo(catalog, days, '3d');
    assert.equal(kept.length, 3);
    // Each kept backup is the later (newer) one of its day.
    for (const d of kept) assert.ok(Math.abs(d - Math.round(d) - 0.1) < 1e-9, String(d));
  });

  it('skips days without a backup instead of counting them', () => {
    const days = [40, 30, 20, 10, 1];
    const catalog = days.map((d) => backup(d));
    assert.deepEqual(keptDaysAgo(catalog, days, '3d'), [20, 10, 1]);
  });

  it('combines days, ISO weeks, months and years: a backup kept by any period stays', () => {
    const on = (y: number, m: number, d: number) =>
      backup((NOW.getTime() - new Date(y, m - 1, d, 10, 0).getTime()) / 86_400_000);
    const catalog = [
      on(2024, 5, 5),
      on(2025, 6, 1),
      on(2025, 12, 31), // a Wednesday of ISO week 2026-W01, in month 2025-12 and year 2025
      on(2026, 1, 10),
      on(2026, 1, 31),
      on(2026, 2, 20),
      on(2026, 3, 2), // Monday of 2026-W10
      on(2026, 3, 8), // Sunday of 2026-W10
      on(2026, 3, 13),
      on(2026, 3, 14),
      on(2026, 3, 15),
    ];
    assert.deepEqual(statuses(catalog, gfsReport(catalog, schedule('2d 3w 3m 2y'), 0)), [
      'OBSOLETE',
      'OBSOLETE',
      'VALID', // year 2025
      'OBSOLETE',
      'VALID', // month 2026-01
      'VALID', // week 2026-W08, month 2026-02
      'OBSOLETE',
      'VALID', // week 2026-W10
      'OBSOLETE',
      'VALID', // day 2026-03-14
      'VALID', // day, week, month, year of now
    ]);
  });

  it('keeps at least minimum_redundancy of the newest backups', () => {
    const days = [3.2, 3.1, 2.5, 1.2, 1.1];
    const catalog = days.map((d) => backup(d));
    const report = gfsReport(catalog, schedule('1d'), 3);
    assert.deepEqual(statuses(catalog, report), [
      'OBSOLETE',
      'OBSOLETE',
      'VALID',
      'VALID',
      'VALID',
    ]);
  });

  it('reports keeps as KEEP and leaves backups that are not DONE alone', () => {
    const catalog = [
      backup(30, { keep: 'standalone' }),
      backup(20),
      backup(2.5, { status: 'FAILED' }),
      backup(2.2),
      backup(1.1, { keep: 'full' }),
      backup(0.5, { status: 'STARTED' }),
    ];
    assert.deepEqual(statuses(catalog, gfsReport(catalog, schedule('2d'), 0)), [
      'KEEP:STANDALONE',
      'OBSOLETE',
      '-',
      'VALID',
      'KEEP:FULL',
      '-',
    ]);
  });
});
