import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FIRST_TIMELINE,
  formatTimelineId,
  isTimelineId,
  MAX_TIMELINE_ID,
  parseTimelineId,
  type TimelineId,
  toTimelineId,
} from '../../src/wal/timeline.ts';
import { WalFormatError } from '../../src/wal/wal-format-error.ts';

describe('timeline IDs', () => {
  it('are integers from 1 to 0xFFFFFFFF', () => {
    assert.equal(isTimelineId(1), true);
    assert.equal(isTimelineId(0xffffffff), true);
    assert.equal(FIRST_TIMELINE, 1);
    assert.equal(MAX_TIMELINE_ID, 4294967295);
    for (const bad of [0, -1, 0x1_0000_0000, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.equal(isTimelineId(bad), false, String(bad));
      assert.throws(() => toTimelineId(bad), WalFormatError, String(bad));
    }
    assert.equal(toTimelineId(42), 42);
  });

  it('format as 8 uppercase hex digits, as in WAL file names', () => {
    assert.equal(formatTimelineId(1 as TimelineId), '00000001');
    assert.equal(formatTimelineId(10 as TimelineId), '0000000A');
    assert.equal(formatTimelineId(MAX_TIMELINE_ID), 'FFFFFFFF');
  });

  it('parse from exactly 8 uppercase hex digits', () => {
    assert.equal(parseTimelineId('00000001'), 1);
    assert.equal(parseTimelineId('0000000A'), 10);
    assert.equal(parseTimelineId('FFFFFFFF'), 0xffffffff);
    for (const text of ['00000001', '0000000A', '7FFFFFFF', 'FFFFFFFF']) {
      assert.equal(formatTimelineId(parseTimelineId(text)), text);
    }
  });

  for (const bad of ['0000000a', '1', '000000001', '0000001', '0000000G', ' 00000001', '']) {
    it(`refuse '${bad}'`, () => {
      assert.throws(() => parseTimelineId(bad), /is not a timeline in a WAL file name/);
    });
  }

  it('refuse timeline 0', () => {
    assert.throws(
      () => parseTimelineId('00000000'),
      (error: unknown) =>
        error instanceof WalFormatError &&
        error.reason === 'timeline 0 is not valid (a timeline is 1 to 4294967295)',
    );
  });
});
