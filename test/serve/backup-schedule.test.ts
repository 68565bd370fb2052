import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextBackupTime, parseBackupSchedule } from '../../src/serve/backup-schedule.ts';

const local = (text: string) => new Date(text); // no zone: local time, as cron reads it
const next = (expression: string, after: string) =>
  nextBackupTime(parseBackupSchedule(expression), local(after));

describe('backup_schedule', () => {
  it('fires at the next matching minute, as crontab(5)', () => {
    assert.deepEqual(next('30 2 * * *', '2026-11-24T10:00:00'), local('2026-11-25T02:30:00'));
    assert.deepEqual(next('30 2 * * *', '2026-11-24T01:00:00'), local('2026-11-24T02:30:00'));
    assert.deepEqual(next('*/15 * * * *', '2026-11-24T10:07:30'), local('2026-11-24T10:15:00'));
    assert.deepEqual(next('0 0 1 * *', '2026-11-24T10:00:00'), local('2026-12-01T00:00:00'));
    assert.deepEqual(next('0 3 * * 0', '2026-11-24T10:00:00'), local('2026-11-29T03:00:00'));
    assert.deepEqual(next('0 3 * * 7', '2026-11-24T10:00:00'), local('2026-11-29T03:00:00'));
    assert.deepEqual(next('0 12 * * 1-5', '2026-11-28T13:00:00'), local('2026-11-30T12:00:00'));
    assert.deepEqual(next('0 0 1,15 * *', '2026-11-02T00:00:00'), local('2026-11-15T00:00:00'));
  });

  it('with both day fields restricted, either one matches', () => {
    // The 1st of the month or a Monday, whichever comes first.
    assert.deepEqual(next('0 0 1 * 1', '2026-11-24T10:00:00'), local('2026-11-30T00:00:00'));
  });

  it('takes six fields with seconds first, never the same second twice', () => {
    assert.deepEqual(
      next('*/5 * * * * *', '2026-11-24T10:00:03.500'),
      local('2026-11-24T10:00:05'),
    );
    assert.deepEqual(next('*/5 * * * * *', '2026-11-24T10:00:05'), local('2026-11-24T10:00:10'));
  });

  it('finds no time for an impossible date', () => {
    assert.equal(next('0 0 31 2 *', '2026-11-24T10:00:00'), undefined);
  });

  it('refuses what cron would refuse, naming the field', () => {
    assert.throws(() => parseBackupSchedule('* * * *'), /5 fields/);
    assert.throws(() => parseBackupSchedule('61 * * * *'), /minute field '61' is outside 0-59/);
    assert.throws(() => parseBackupSchedule('* 25 * * *'), /hour field/);
    assert.throws(() => parseBackupSchedule('* * * * mon'), /day of week field 'mon' is not/);
    assert.throws(() => parseBackupSchedule('5-1 * * * *'), /outside/);
    assert.throws(() => parseBackupSchedule('*/0 * * * *'), /outside/);
  });
});
