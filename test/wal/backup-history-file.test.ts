import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBackupHistoryFile } from '../../src/wal/backup-history-file.ts';
import { WalFormatError } from '../../src/wal/wal-format-error.ts';
import { BACKUP_HISTORY } from './fixtures/history-texts.ts';

describe('parseBackupHistoryFile', () => {
  it('reads the locations, timelines, label and every field', () => {
    const backup = parseBackupHistoryFile(BACKUP_HISTORY);
    assert.equal(backup.startLsn, 0x2000028n);
    assert.equal(backup.startSegment, '000000010000000000000002');
    assert.equal(backup.stopLsn, 0x2000100n);
    assert.equal(backup.stopSegment, '000000010000000000000002');
    assert.equal(backup.checkpointLsn, 0x2000060n);
    assert.equal(backup.startTimeline, 1);
    assert.equal(backup.stopTimeline, 1);
    assert.equal(backup.label, 'barkeep backup: 20240501T100000');
    assert.equal(backup.fields.get('BACKUP METHOD'), 'streamed');
    assert.equal(backup.fields.size, 10);
  });

  it('accepts the short form of older versions and CRLF line ends', () => {
    const text =
      'START WAL LOCATION: 1/A0000028 (file 0000000300000001000000A0)\r\n' +
      'STOP WAL LOCATION: 1/A1000000 (file 0000000300000001000000A1)\r\n';
    const backup = parseBackupHistoryFile(text);
    assert.equal(backup.startLsn, 0x1_a000_0028n);
    assert.equal(backup.stopSegment, '0000000300000001000000A1');
    assert.equal(backup.checkpointLsn, undefined);
    assert.equal(backup.startTimeline, undefined);
    assert.equal(backup.label, undefined);
  });

  it('keeps the first of repeated keys, so a label cannot override a location', () => {
    const backup = parseBackupHistoryFile(
      `${BACKUP_HISTORY}START WAL LOCATION: 0/9000028 (file 000000010000000000000009)\n`,
    );
    assert.equal(backup.startLsn, 0x2000028n);
  });

  const refused: Array<[string, string, RegExp]> = [
    ['an empty file', '', /no 'START WAL LOCATION:' line/],
    [
      'a missing stop',
      BACKUP_HISTORY.split('\n')
        .filter((l) => !l.startsWith('STOP WAL'))
        .join('\n'),
      /no 'STOP WAL LOCATION:' line/,
    ],
    [
      'a location without file',
      BACKUP_HISTORY.replace(' (file 000000010000000000000002)', ''),
      /START WAL LOCATION '0\/2000028' is not of the form/,
    ],
    [
      'a lowercase file',
      BACKUP_HISTORY.replace('(file 000000010000000000000002)', '(file 00000001000000000000000a)'),
      /is not of the form/,
    ],
    [
      'a file on timeline 0',
      BACKUP_HISTORY.replace('(file 000000010000000000000002)', '(file 000000000000000000000002)'),
      /is not of the form/,
    ],
    [
      'a bad LSN',
      BACKUP_HISTORY.replace('0/2000028', '0/20000280000'),
      /START WAL LOCATION: '0\/20000280000' is not a WAL location/,
    ],
    [
      'a bad checkpoint',
      BACKUP_HISTORY.replace('CHECKPOINT LOCATION: 0/2000060', 'CHECKPOINT LOCATION: x'),
      /CHECKPOINT LOCATION: 'x' is not a WAL location/,
    ],
    [
      'a bad timeline',
      BACKUP_HISTORY.replace('START TIMELINE: 1', 'START TIMELINE: one'),
      /START TIMELINE 'one' is not a number/,
    ],
    [
      'timeline 0',
      BACKUP_HISTORY.replace('STOP TIMELINE: 1', 'STOP TIMELINE: 0'),
      /STOP TIMELINE: timeline 0 is not valid/,
    ],
    [
      'a stop before the start',
      BACKUP_HISTORY.replace('STOP WAL LOCATION: 0/2000100', 'STOP WAL LOCATION: 0/2000000'),
      /^STOP WAL LOCATION 0\/2000000 is before START WAL LOCATION 0\/2000028$/,
    ],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => parseBackupHistoryFile(text),
        (error: unknown) => error instanceof WalFormatError && message.test(error.reason),
      );
    });
  }
});
