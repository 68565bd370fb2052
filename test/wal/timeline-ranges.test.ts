import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLsn } from '../../src/wal/lsn.ts';
import type { TimelineId } from '../../src/wal/timeline.ts';
import { parseTimelineHistory } from '../../src/wal/timeline-history.ts';
import {
  isTimelineInHistory,
  timelineAtLsn,
  timelineForSegment,
  timelineRanges,
} from '../../src/wal/timeline-ranges.ts';
import { WalFormatError } from '../../src/wal/wal-format-error.ts';
import type { SegmentNumber } from '../../src/wal/wal-segment.ts';
import { toWalSegmentSize } from '../../src/wal/wal-segment-size.ts';

const tli = (n: number) => n as TimelineId;
const seg = (n: bigint) => n as SegmentNumber;
const MIB16 = toWalSegmentSize(16 * 1024 * 1024);

// Timeline 5 descends from 1 (left at 0/3000158), 2 (left at 0/5000000, a segment boundary) and
// 4 (left at 0/7000060); timeline 3 is a sibling branch, not an ancestor.
const history = parseTimelineHistory('1\t0/3000158\tx\n\n2\t0/5000000\ty\n\n4\t0/7000060\tz\n');

describe('timelineRanges', () => {
  it('lists the ancestry oldest first, ending open on the timeline itself', () => {
    assert.deepEqual(timelineRanges(history, tli(5)), [
      { timeline: 1, begin: 0n, end: 0x3000158n },
      { timeline: 2, begin: 0x3000158n, end: 0x5000000n },
      { timeline: 4, begin: 0x5000000n, end: 0x7000060n },
      { timeline: 5, begin: 0x7000060n, end: undefined },
    ]);
  });

  it('is one open range for timeline 1', () => {
    assert.deepEqual(timelineRanges([], tli(1)), [{ timeline: 1, begin: 0n, end: undefined }]);
  });

  it('refuses a history whose parents are not older than the timeline', () => {
    assert.throws(() => timelineRanges(history, tli(4)), WalFormatError);
    assert.throws(
      () => timelineRanges(history, tli(3)),
      /names timeline 4 as a parent of timeline 3/,
    );
  });
});

describe('timelineAtLsn', () => {
  const cases: Array<[string, number]> = [
    ['0/0', 1],
    ['0/3000157', 1],
    ['0/3000158', 2], // the switch point belongs to the new timeline
    ['0/4FFFFFF', 2],
    ['0/5000000', 4],
    ['0/700005F', 4],
    ['0/7000060', 5],
    ['FFFFFFFF/FFFFFFFF', 5],
  ];
  for (const [lsn, expected] of cases) {
    it(`puts ${lsn} on timeline ${expected}`, () => {
      assert.equal(timelineAtLsn(history, tli(5), parseLsn(lsn)), expected);
    });
  }

  it('is always the timeline itself without history', () => {
    assert.equal(timelineAtLsn([], tli(1), parseLsn('5/0')), 1);
  });

  it('skips a timeline that ended where it began', () => {
    const zeroLength = parseTimelineHistory('1\t0/3000158\tx\n2\t0/3000158\ty\n');
    assert.equal(timelineAtLsn(zeroLength, tli(3), parseLsn('0/3000157')), 1);
    assert.equal(timelineAtLsn(zeroLength, tli(3), parseLsn('0/3000158')), 3);
  });
});

describe('timelineForSegment', () => {
  const cases: Array<[bigint, number]> = [
    [0n, 1],
    [2n, 1],
    [3n, 2], // 0/3000158 is inside segment 3: the new timeline's copy holds both parts
    [4n, 2],
    [5n, 4], // 0/5000000 starts segment 5: segment 4 stays on timeline 2
    [6n, 4],
    [7n, 5],
    [1000n, 5],
  ];
  for (const [segno, expected] of cases) {
    it(`reads segment ${segno} from timeline ${expected}`, () => {
      assert.equal(timelineForSegment(history, tli(5), seg(segno), MIB16), expected);
    });
  }

  it('depends on the segment size', () => {
    const big = toWalSegmentSize(1024 * 1024 * 1024);
    assert.equal(timelineForSegment(history, tli(5), seg(0n), big), 5);
    const small = toWalSegmentSize(1024 * 1024);
    assert.equal(timelineForSegment(history, tli(5), seg(0x2fn), small), 1);
    assert.equal(timelineForSegment(history, tli(5), seg(0x30n), small), 2);
  });
});

describe('isTimelineInHistory', () => {
  it('accepts the timeline and its ancestors, not siblings or descendants', () => {
    assert.equal(isTimelineInHistory(history, tli(5), tli(5)), true);
    assert.equal(isTimelineInHistory(history, tli(5), tli(1)), true);
    assert.equal(isTimelineInHistory(history, tli(5), tli(4)), true);
    assert.equal(isTimelineInHistory(history, tli(5), tli(3)), false);
    assert.equal(isTimelineInHistory(history, tli(5), tli(6)), false);
  });
});
