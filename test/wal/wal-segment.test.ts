import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLsn, MAX_LSN, parseLsn } from '../../src/wal/lsn.ts';
import {
  lastSegmentNumber,
  nextSegment,
  previousSegment,
  type SegmentNumber,
  segmentBeforeLsn,
  segmentOffsetOfLsn,
  segmentOfLsn,
  segmentStartLsn,
  segmentsPerXlogId,
  toSegmentNumber,
} from '../../src/wal/wal-segment.ts';
import { toWalSegmentSize } from '../../src/wal/wal-segment-size.ts';

const MIB = 1024 * 1024;
const MIB1 = toWalSegmentSize(MIB);
const MIB16 = toWalSegmentSize(16 * MIB);
const GIB1 = toWalSegmentSize(1024 * MIB);
const seg = (n: bigint) => n as SegmentNumber;

describe('segmentsPerXlogId', () => {
  it('is 4 GiB divided by the segment size (XLogSegmentsPerXLogId)', () => {
    assert.equal(segmentsPerXlogId(MIB1), 4096n);
    assert.equal(segmentsPerXlogId(MIB16), 256n);
    assert.equal(segmentsPerXlogId(toWalSegmentSize(64 * MIB)), 64n);
    assert.equal(segmentsPerXlogId(GIB1), 4n);
  });
});

describe('segment of an LSN', () => {
  it('divides by the segment size (XLByteToSeg)', () => {
    assert.equal(segmentOfLsn(parseLsn('0/0'), MIB16), 0n);
    assert.equal(segmentOfLsn(parseLsn('0/1000000'), MIB16), 1n);
    assert.equal(segmentOfLsn(parseLsn('0/1FFFFFF'), MIB16), 1n);
    assert.equal(segmentOfLsn(parseLsn('16/B374D848'), MIB16), 0x16b3n);
    assert.equal(segmentOfLsn(parseLsn('16/B374D848'), MIB1), 0x16b37n);
    assert.equal(segmentOfLsn(parseLsn('16/B374D848'), GIB1), 0x5an);
  });

  it('reaches the last segment of the address space without losing bits', () => {
    assert.equal(segmentOfLsn(MAX_LSN, MIB1), 2n ** 44n - 1n);
    assert.equal(segmentOfLsn(MAX_LSN, MIB16), 2n ** 40n - 1n);
    assert.equal(segmentOfLsn(MAX_LSN, GIB1), 2n ** 34n - 1n);
    assert.equal(lastSegmentNumber(MIB1), 2n ** 44n - 1n);
  });

  it('gives the offset inside the segment (XLogSegmentOffset)', () => {
    assert.equal(segmentOffsetOfLsn(parseLsn('0/2000028'), MIB16), 0x28);
    assert.equal(segmentOffsetOfLsn(parseLsn('16/B374D848'), MIB16), 0x74d848);
    assert.equal(segmentOffsetOfLsn(parseLsn('16/B374D848'), MIB1), 0x4d848);
    assert.equal(segmentOffsetOfLsn(MAX_LSN, GIB1), 1024 * MIB - 1);
  });

  it('before an LSN is the segment of the previous byte (XLByteToPrevSeg)', () => {
    assert.equal(segmentBeforeLsn(parseLsn('0/2000000'), MIB16), 1n);
    assert.equal(segmentOfLsn(parseLsn('0/2000000'), MIB16), 2n);
    assert.equal(segmentBeforeLsn(parseLsn('0/2000001'), MIB16), 2n);
    assert.equal(segmentBeforeLsn(parseLsn('0/1'), MIB16), 0n);
    assert.equal(segmentBeforeLsn(parseLsn('1/0'), GIB1), 3n);
    assert.throws(() => segmentBeforeLsn(parseLsn('0/0'), MIB16), RangeError);
  });
});

describe('segmentStartLsn', () => {
  it('is the segment number times the segment size', () => {
    assert.equal(formatLsn(segmentStartLsn(seg(0n), MIB16)), '0/0');
    assert.equal(formatLsn(segmentStartLsn(seg(3n), MIB16)), '0/3000000');
    assert.equal(formatLsn(segmentStartLsn(seg(0x100n), MIB16)), '1/0');
    assert.equal(formatLsn(segmentStartLsn(seg(0x100n), MIB1)), '0/10000000');
    assert.equal(formatLsn(segmentStartLsn(seg(5n), GIB1)), '1/40000000');
    assert.equal(formatLsn(segmentStartLsn(lastSegmentNumber(MIB16), MIB16)), 'FFFFFFFF/FF000000');
  });

  it('inverts segmentOfLsn for every segment size', () => {
    for (const size of [MIB1, MIB16, GIB1]) {
      for (const lsn of ['0/0', '0/3000158', '16/B374D848', 'FFFFFFFF/FFFFFFFF']) {
        const segno = segmentOfLsn(parseLsn(lsn), size);
        const start = segmentStartLsn(segno, size);
        assert.ok(start <= parseLsn(lsn) && parseLsn(lsn) - start < BigInt(size));
      }
    }
  });
});

describe('walking segments', () => {
  it('steps forward and backward, across an xlog id', () => {
    assert.equal(nextSegment(seg(0n), MIB16), 1n);
    assert.equal(nextSegment(seg(0xffn), MIB16), 0x100n);
    assert.equal(previousSegment(seg(0x100n)), 0xffn);
    assert.equal(previousSegment(seg(1n)), 0n);
  });

  it('stops at both ends of the address space', () => {
    assert.throws(() => previousSegment(seg(0n)), /segment 0 has no predecessor/);
    assert.throws(() => nextSegment(lastSegmentNumber(GIB1), GIB1), RangeError);
    assert.equal(nextSegment(seg(lastSegmentNumber(GIB1) - 1n), GIB1), lastSegmentNumber(GIB1));
  });

  it('toSegmentNumber checks the range for the size', () => {
    assert.equal(toSegmentNumber(0n, MIB16), 0n);
    assert.equal(toSegmentNumber(2n ** 40n - 1n, MIB16), 2n ** 40n - 1n);
    assert.throws(() => toSegmentNumber(2n ** 40n, MIB16), RangeError);
    assert.throws(() => toSegmentNumber(-1n, MIB16), RangeError);
  });
});
