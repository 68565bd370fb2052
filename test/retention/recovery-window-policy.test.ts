import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  pointOfRecoverability,
  recoveryWindowReport,
} from '../../src/retention/recovery-window-policy.ts';
import { backup, NOW, statuses } from './catalog-fixtures.ts';

const WEEK = { count: 7, unit: 'days' } as const;

describe('RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS', () => {
  it('measures the window from now: days, weeks, and months of 31 days', () => {
    const day = 86_400_000;
    assert.equal(
      NOW.getTime() - pointOfRecoverability({ count: 3, unit: 'days' }, NOW).getTime(),
      3 * day,
    );
    assert.equal(
      NOW.getTime() - pointOfRecoverability({ count: 2, unit: 'weeks' }, NOW).getTime(),
      14 * day,
    );
    assert.equal(
      NOW.getTime() - pointOfRecoverability({ count: 1, unit: 'months' }, NOW).getTime(),
      31 * day,
    );
  });

  it('reports nothing for an empty catalog and keeps a single old backup', () => {
    assert.equal(recoveryWindowReport([], WEEK, 0, NOW).size, 0);
    const catalog = [backup(100)];
    assert.deepEqual(statuses(catalog, recoveryWindowReport(catalog, WEEK, 0, NOW)), ['VALID']);
  });

  it('keeps the backups in the window and the newest one before it; older ones are OBSOLETE', () => {
    const catalog = [backup(30), backup(20), backup(10), backup(5), backup(1)];
    assert.deepEqual(statuses(catalog, recoveryWindowReport(catalog, WEEK, 0, NOW)), [
      'OBSOLETE',
      'OBSOLETE',
      'VALID',
      'VALID',
      'VALID',
    ]);
  });

  it('keeps everything while all backups are inside the window', () => {
    const catalog = [backup(6), backup(3), backup(1)];
    assert.deepEqual(statuses(catalog, recoveryWindowReport(catalog, WEEK, 0, NOW)), [
      'VALID',
      'VALID',
      'VALID',
    ]);
  });

  it('follows the unit: 1 MONTH keeps a backup of 30 days ago as inside', () => {
    const catalog = [backup(40), backup(33), backup(30), backup(1)];
    const report = recoveryWindowReport(catalog, { count: 1, unit: 'months' }, 0, NOW);
    assert.deepEqual(statuses(catalog, report), ['OBSOLETE', 'VALID', 'VALID', 'VALID']);
  });

  it('marks OBSOLETE* the older backups minimum_redundancy still needs', () => {
    const catalog = [backup(40), backup(30), backup(20), backup(1)];
    assert.deepEqual(statuses(catalog, recoveryWindowReport(catalog, WEEK, 3, NOW)), [
      'OBSOLETE',
      'OBSOLETE*',
      'VALID',
      'VALID',
    ]);
  });

  it('keeps kept backups wherever they are; outside the window they count for minimum_redundancy', () => {
    const catalog = [
      backup(40),
      backup(30, { keep: 'standalone' }),
      backup(20),
      backup(10),
      backup(1, { keep: 'full' }),
    ];
    assert.deepEqual(statuses(catalog, recoveryWindowReport(catalog, WEEK, 3, NOW)), [
      'OBSOLETE',
      'KEEP:STANDALONE',
      'OBSOLETE*',
      'VALID',
      'KEEP:FULL',
    ]);
    assert.deepEqual(statuses(catalog, recoveryWindowReport(catalog, WEEK, 0, NOW)), [
      'OBSOLETE',
      'KEEP:STANDALONE',
      'OBSOLETE',
      'VALID',
      'KEEP:FULL',
    ]);
    // With 4, the kept backup is the fourth one counted, so the oldest is not needed.
    assert.deepEqual(statuses(catalog, recoveryWindowReport(catalog, WEEK, 4, NOW)), [
      'OBSOLETE',
      'KEEP:STANDALONE',
      'OBSOLETE*',
      'VALID',
      'KEEP:FULL',
    ]);
    assert.equal(
      recoveryWindowReport(catalog, WEEK, 5, NOW).get(catalog[0]!.backupId),
      'OBSOLETE*',
    );
  });

  it('leaves failed and unfinished backups alone, uncounted', () => {
    const catalog = [
      backup(30),
      backup(25, { status: 'FAILED' }),
      backup(20),
      backup(2, { status: 'FAILED' }),
      backup(1, { status: 'STARTED' }),
    ];
    assert.deepEqual(statuses(catalog, recoveryWindowReport(catalog, WEEK, 0, NOW)), [
      'OBSOLETE',
      '-',
      'VALID',
      '-',
      '-',
    ]);
  });

  it('takes a DONE backup without an end time as inside the window', () => {
    const catalog = [backup(40), backup(30), backup(20, { noEndTime: true }), backup(1)];
    assert.deepEqual(statuses(catalog, recoveryWindowReport(catalog, WEEK, 0, NOW)), [
      'OBSOLETE',
      'VALID',
      'VALID',
      'VALID',
    ]);
  });
});
