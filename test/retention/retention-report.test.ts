import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGfsSchedule } from '../../src/retention/gfs-schedule.ts';
import {
  combineReports,
  describeRetention,
  retentionEnforced,
  retentionReport,
} from '../../src/retention/retention-report.ts';
import type { RetentionStatus } from '../../src/retention/retention-types.ts';
import { backup, NOW, statuses } from './catalog-fixtures.ts';

describe('retention report', () => {
  it('is not enforced without retention_policy or retention_gfs', () => {
    const settings = { minimum_redundancy: 2 };
    assert.equal(retentionEnforced(settings), false);
    assert.equal(retentionReport([backup(1)], settings, NOW), undefined);
    assert.equal(describeRetention(settings), 'none');
  });

  it('describes the policies in words', () => {
    assert.equal(
      describeRetention({
        retention_policy: { kind: 'recovery-window', count: 2, unit: 'weeks' },
        retention_gfs: parseGfsSchedule('7d 4w'),
        minimum_redundancy: 1,
      }),
      'RECOVERY WINDOW OF 2 WEEKS or GFS 7d 4w, minimum redundancy 1',
    );
    assert.equal(
      describeRetention({
        retention_policy: { kind: 'redundancy', count: 3 },
        minimum_redundancy: 0,
      }),
      'REDUNDANCY 3',
    );
  });

  it('keeps a backup when either policy keeps it', () => {
    // One backup a day, 6 days; REDUNDANCY 2 keeps 2, GFS 4d keeps 4: the GFS wins.
    const catalog = [6, 5, 4, 3, 2, 1].map((d) => backup(d + 0.1));
    const report = retentionReport(
      catalog,
      {
        retention_policy: { kind: 'redundancy', count: 2 },
        retention_gfs: parseGfsSchedule('4d'),
        minimum_redundancy: 0,
      },
      NOW,
    )!;
    assert.deepEqual(statuses(catalog, report), [
      'OBSOLETE',
      'OBSOLETE',
      'VALID',
      'VALID',
      'VALID',
      'VALID',
    ]);
  });

  it('lets a GFS VALID win over a recovery window OBSOLETE*', () => {
    const combined = combineReports([
      new Map<string, RetentionStatus>([
        ['a', 'OBSOLETE*'],
        ['b', 'OBSOLETE'],
        ['c', 'OBSOLETE'],
        ['d', '-'],
      ]),
      new Map<string, RetentionStatus>([
        ['a', 'VALID'],
        ['b', 'OBSOLETE'],
        ['c', 'OBSOLETE*'],
        ['d', '-'],
      ]),
    ]);
    assert.deepEqual(
      [...combined.entries()],
      [
        ['a', 'VALID'],
        ['b', 'OBSOLETE'],
        ['c', 'OBSOLETE*'],
        ['d', '-'],
      ],
    );
  });

  it('keeps failed backups out of every policy', () => {
    const catalog = [backup(30, { status: 'FAILED' }), backup(25), backup(20), backup(0.5)];
    const report = retentionReport(
      catalog,
      {
        retention_policy: { kind: 'recovery-window', count: 1, unit: 'days' },
        retention_gfs: parseGfsSchedule('1d'),
        minimum_redundancy: 0,
      },
      NOW,
    )!;
    // The window keeps the newest backup before it (20 days ago) too.
    assert.deepEqual(statuses(catalog, report), ['-', 'OBSOLETE', 'VALID', 'VALID']);
  });
});
