import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLsn } from '../../src/wal/lsn.ts';
import {
  isSegmentName,
  parseSegmentName,
  type SegmentName,
  segmentCatalogDirectory,
  segmentName,
} from '../../src/wal/segment-name.ts';
import type { TimelineId } from '../../src/wal/timeline.ts';
import { WalFormatError } from '../../src/wal/wal-format-error.ts';
import {
  lastSegmentNumber,
  type SegmentNumber,
  segmentOffsetOfLsn,
  segmentOfLsn,
} from '../../src/wal/wal-segment.ts';
import { allWalSegmentSizes, toWalSegmentSize } from '../../src/wal/wal-segment-size.ts';

const MIB = 1024 * 1024;
const MIB1 = toWalSegmentSize(MIB);
const MIB16 = toWalSegmentSize(16 * MIB);
const GIB1 = toWalSegmentSize(1024 * MIB);
const tli = (n: number) => n as TimelineId;
const seg = (n: bigint) => n as SegmentNumber;

describe('segmentName (XLogFileName)', () => {
  it('names the first segments of timeline 1', () => {
    assert.equal(segmentName(tli(1), seg(1n), MIB16), '000000010000000000000001');
    assert.equal(segmentName(tli(1), seg(0n), MIB16), '000000010000000000000000');
  });

  it('splits the segment number into log and seg by the segment size', () => {
    // 16 MiB: 256 segments per xlog id.
    assert.equal(segmentName(tli(1), seg(0xffn), MIB16), '0000000100000000000000FF');
    assert.equal(segmentName(tli(1), seg(0x100n), MIB16), '000000010000000100000000');
    assert.equal(segmentName(tli(2), seg(0x16b3n), MIB16), '0000000200000016000000B3');
    // 1 MiB: 4096 per xlog id, so the seg part reaches 00000FFF.
    assert.equal(segmentName(tli(1), seg(0xfffn), MIB1), '000000010000000000000FFF');
    assert.equal(segmentName(tli(1), seg(0x1000n), MIB1), '000000010000000100000000');
    assert.equal(segmentName(tli(1), seg(0x100n), MIB1), '000000010000000000000100');
    // 1 GiB: 4 per xlog id.
    assert.equal(segmentName(tli(1), seg(3n), GIB1), '000000010000000000000003');
    assert.equal(segmentName(tli(1), seg(4n), GIB1), '000000010000000100000000');
    assert.equal(segmentName(tli(1), seg(0x17n), GIB1), '000000010000000500000003');
  });

  it('names the segment holding an LSN differently for each size', () => {
    const lsn = parseLsn('16/B374D848');
    assert.equal(segmentName(tli(1), segmentOfLsn(lsn, MIB16), MIB16), '0000000100000016000000B3');
    assert.equal(segmentName(tli(1), segmentOfLsn(lsn, MIB1), MIB1), '000000010000001600000B37');
    assert.equal(segmentName(tli(1), segmentOfLsn(lsn, GIB1), GIB1), '000000010000001600000002');
  });

  it('names the last segment of the address space and the largest timeline', () => {
    assert.equal(
      segmentName(tli(0xffffffff), lastSegmentNumber(MIB16), MIB16),
      'FFFFFFFFFFFFFFFF000000FF',
    );
    assert.equal(segmentName(tli(1), lastSegmentNumber(MIB1), MIB1), '00000001FFFFFFFF00000FFF');
    assert.equal(segmentName(tli(1), lastSegmentNumber(GIB1), GIB1), '00000001FFFFFFFF00000003');
  });
});

describe('segment names with 1 GiB segments', () => {
  // Observed from pg_walfile_name()/pg_walfile_name_offset() of PostgreSQL 17 after
  // initdb --wal-segsize=1024 (17 names the LSN's own segment, even at a boundary).
  const observed: Array<[string, string, number]> = [
    ['0/40000000', '000000010000000000000001', 0],
    ['0/40000001', '000000010000000000000001', 1],
    ['1/0', '000000010000000100000000', 0],
    ['5/7FFFFFFF', '000000010000000500000001', 1073741823],
    ['FFFFFFFF/FFFFFFFF', '00000001FFFFFFFF00000003', 1073741823],
  ];
  for (const [lsn, name, offset] of observed) {
    it(`names ${lsn} ${name} at offset ${offset}`, () => {
      const segno = segmentOfLsn(parseLsn(lsn), GIB1);
      assert.equal(segmentName(tli(1), segno, GIB1), name);
      assert.equal(segmentOffsetOfLsn(parseLsn(lsn), GIB1), offset);
      assert.equal(parseSegmentName(name, GIB1)?.segno, segno);
    });
  }
});

describe('parseSegmentName (XLogFromFileName)', () => {
  it('inverts segmentName for every segment size', () => {
    for (const size of allWalSegmentSizes()) {
      for (const segno of [
        0n,
        1n,
        0xffn,
        0x100n,
        0xfffn,
        0x1000n,
        123456789n,
        lastSegmentNumber(size),
      ]) {
        if (segno > lastSegmentNumber(size)) continue;
        for (const timeline of [1, 2, 0xa, 0xffffffff]) {
          const name = segmentName(tli(timeline), seg(segno), size);
          assert.deepEqual(parseSegmentName(name, size), { timeline, segno }, `${name} ${size}`);
        }
      }
    }
  });

  it('reads the same name as different segments for different sizes', () => {
    assert.equal(parseSegmentName('000000010000000100000003', MIB16)?.segno, 0x103n);
    assert.equal(parseSegmentName('000000010000000100000003', MIB1)?.segno, 0x1003n);
    assert.equal(parseSegmentName('000000010000000100000003', GIB1)?.segno, 7n);
  });

  it('is undefined for what is not 24 uppercase hex digits', () => {
    for (const name of [
      '',
      '00000001000000000000001',
      '0000000100000000000000011',
      '00000001000000000000000a',
      '000000010000000000000001.partial',
      '000000010000000000000001.gz',
      'pg_wal/000000010000000000000001',
      ' 000000010000000000000001',
      '00000001.history',
    ]) {
      assert.equal(parseSegmentName(name, MIB16), undefined, name);
    }
  });

  it('refuses timeline 0', () => {
    assert.throws(
      () => parseSegmentName('000000000000000000000001', MIB16),
      (error: unknown) =>
        error instanceof WalFormatError && error.reason.includes('has timeline 0'),
    );
  });

  it('refuses a seg part beyond the segments of one xlog id for the size', () => {
    assert.throws(
      () => parseSegmentName('000000010000000000000100', MIB16),
      (error: unknown) =>
        error instanceof WalFormatError &&
        error.reason ===
          'segment name 000000010000000000000100 cannot exist with 16 MiB segments (its last 8 digits go up to 000000FF)',
    );
    assert.throws(
      () => parseSegmentName('000000010000000000000004', GIB1),
      /1 GiB segments .*00000003/,
    );
    assert.throws(
      () => parseSegmentName('000000010000000000001000', MIB1),
      /1 MiB segments .*00000FFF/,
    );
    assert.equal(parseSegmentName('000000010000000000000FFF', MIB1)?.segno, 0xfffn);
    assert.equal(parseSegmentName('0000000100000000000000FF', MIB16)?.segno, 0xffn);
  });
});

describe('isSegmentName', () => {
  it('accepts 24 uppercase hex digits with a timeline other than 0', () => {
    assert.equal(isSegmentName('000000010000000000000001'), true);
    assert.equal(isSegmentName('FFFFFFFFFFFFFFFFFFFFFFFF'), true);
    assert.equal(isSegmentName('000000000000000000000001'), false);
    assert.equal(isSegmentName('00000001000000000000000a'), false);
    assert.equal(isSegmentName('000000010000000000000001.partial'), false);
  });
});

describe('segmentCatalogDirectory', () => {
  it('is the timeline and log, as Barman lays out wals/', () => {
    assert.equal(
      segmentCatalogDirectory('0000000100000016000000B3' as SegmentName),
      '0000000100000016',
    );
    assert.equal(
      segmentCatalogDirectory(segmentName(tli(1), seg(0x1000n), MIB1)),
      '0000000100000001',
    );
    assert.equal(
      segmentCatalogDirectory(segmentName(tli(1), seg(0x1000n), MIB16)),
      '0000000100000010',
    );
  });
});
