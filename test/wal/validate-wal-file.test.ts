import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateWalFile, type WalFileVerdict } from '../../src/wal/validate-wal-file.ts';
import { parseWalFileName } from '../../src/wal/wal-file-name.ts';
import { toWalSegmentSize } from '../../src/wal/wal-segment-size.ts';
import { type HeaderFields, MIB, SYSID, segmentHeader } from './fixtures/wal-bytes.ts';

const SEG16 = 16 * MIB;
const SEGMENT_3 = '000000010000000000000003'; // starts at 0/3000000 with 16 MiB segments

function check(
  name: string,
  bytes: Uint8Array,
  fileSize: number = bytes.length,
  expected: Parameters<typeof validateWalFile>[3] = undefined,
): WalFileVerdict {
  const parsed = parseWalFileName(name);
  assert.ok(parsed, `${name} is a WAL file name`);
  return validateWalFile(parsed, bytes, fileSize, expected);
}

function segment(fields: HeaderFields = {}, name = SEGMENT_3, fileSize = SEG16, expected = {}) {
  return check(name, segmentHeader(fields), fileSize, expected);
}

function reasonsOf(verdict: WalFileVerdict): readonly string[] {
  assert.equal(verdict.ok, false, 'the file is refused');
  return verdict.ok ? [] : verdict.reasons;
}

describe('validateWalFile: segments', () => {
  it('accepts a consistent segment and reports its facts', () => {
    const verdict = segment({}, SEGMENT_3, SEG16, {
      systemIdentifier: SYSID.toString(),
      segmentSize: toWalSegmentSize(SEG16),
    });
    assert.deepEqual(verdict, {
      ok: true,
      facts: {
        kind: 'segment',
        segno: 3n,
        segmentSize: SEG16,
        blockSize: 8192,
        major: 16,
        magic: 0xd113,
        systemIdentifier: SYSID.toString(),
        headerTimeline: 1,
      },
    });
  });

  it('accepts only the first 40 bytes with the real size', () => {
    assert.equal(check(SEGMENT_3, segmentHeader({}, 40), SEG16).ok, true);
  });

  it('accepts the first segment of a new timeline that still carries the old one', () => {
    const verdict = segment({ timeline: 1 }, '000000020000000000000003');
    assert.ok(verdict.ok && verdict.facts.kind === 'segment');
    assert.equal(verdict.ok && verdict.facts.kind === 'segment' && verdict.facts.headerTimeline, 1);
  });

  it('refuses a header timeline later than the name', () => {
    assert.deepEqual(reasonsOf(segment({ timeline: 3 }, '000000020000000000000003')), [
      'timeline 3 in the header is later than timeline 2 in the name',
    ]);
    assert.deepEqual(reasonsOf(segment({ timeline: 0 })), [
      'timeline 0 in the header is not a valid timeline',
    ]);
  });

  it('refuses a size that differs from the header, flagging a short one as truncated', () => {
    const short = segment({}, SEGMENT_3, MIB);
    assert.deepEqual(reasonsOf(short), [
      'size 1048576 differs from the segment size 16777216 in its header',
    ]);
    assert.equal(!short.ok && short.truncated, true);
    const long = segment({}, SEGMENT_3, SEG16 + 1);
    assert.deepEqual(reasonsOf(long), [
      'size 16777217 differs from the segment size 16777216 in its header',
    ]);
    assert.equal(!long.ok && long.truncated, false);
  });

  it('refuses a page address that is not the start of the named segment', () => {
    assert.deepEqual(reasonsOf(segment({ pageAddress: 0x2000000n })), [
      'page address 0/2000000 does not match the name (expected 0/3000000)',
    ]);
    assert.deepEqual(reasonsOf(segment({ pageAddress: 0x3002000n })), [
      'page address 0/3002000 does not match the name (expected 0/3000000)',
    ]);
  });

  it("refuses another cluster's segment and flags it foreign", () => {
    const verdict = segment({}, SEGMENT_3, SEG16, { systemIdentifier: '7299000000000000000' });
    assert.deepEqual(reasonsOf(verdict), [
      `system identifier ${SYSID} is not this server's (7299000000000000000)`,
    ]);
    assert.equal(!verdict.ok && verdict.foreign, true);
  });

  it('refuses random bytes and compressed files by their magic', () => {
    const random = Buffer.from(
      '9c3e5a17b2d4f60881aa4c2b7d3e9f10c5a6b7d8e9f0a1b2c3d4e5f60718293a'.repeat(4),
      'hex',
    );
    assert.deepEqual(reasonsOf(check(SEGMENT_3, random, SEG16)), [
      'not a WAL segment: bad magic 0x3e9c',
    ]);
    const gzip = Buffer.concat([Buffer.from('1f8b0800000000000003', 'hex'), Buffer.alloc(40)]);
    assert.deepEqual(reasonsOf(check(SEGMENT_3, gzip, 4242)), [
      'not a WAL segment: bad magic 0x8b1f (the file is gzip-compressed)',
    ]);
    const zstd = Buffer.concat([Buffer.from('28b52ffd', 'hex'), Buffer.alloc(40)]);
    assert.match(reasonsOf(check(SEGMENT_3, zstd, 4242))[0]!, /zstd-compressed/);
    const lz4 = Buffer.concat([Buffer.from('04224d18', 'hex'), Buffer.alloc(40)]);
    assert.match(reasonsOf(check(SEGMENT_3, lz4, 4242))[0]!, /lz4-compressed/);
    assert.deepEqual(reasonsOf(check(SEGMENT_3, Buffer.alloc(SEG16), SEG16)), [
      'not a WAL segment: bad magic 0x0000',
    ]);
  });

  it('refuses a magic of an unknown version', () => {
    assert.deepEqual(reasonsOf(segment({ magic: 0xd075 })), [
      'not a WAL segment: bad magic 0xd075',
    ]);
  });

  it('refuses a first page without the long header', () => {
    assert.deepEqual(reasonsOf(segment({ info: 0x0001 })), [
      'the first page has no long header (xlp_info 0x0001)',
    ]);
  });

  it('refuses truncated files and too few bytes to check', () => {
    const tiny = check(SEGMENT_3, segmentHeader({}, 30));
    assert.deepEqual(reasonsOf(tiny), [
      'size 30 is too small for a WAL segment (its first page header is 40 bytes)',
    ]);
    assert.equal(!tiny.ok && tiny.truncated, true);
    assert.deepEqual(reasonsOf(check(SEGMENT_3, Buffer.alloc(0), 0)), [
      'size 0 is too small for a WAL segment (its first page header is 40 bytes)',
    ]);
    const fewBytes = check(SEGMENT_3, segmentHeader({}, 24), SEG16);
    assert.deepEqual(reasonsOf(fewBytes), [
      'only 24 bytes were given to check; the first 40 are needed',
    ]);
    assert.equal(!fewBytes.ok && fewBytes.truncated, false);
  });

  it('refuses header sizes PostgreSQL cannot have', () => {
    assert.deepEqual(reasonsOf(segment({ segmentSize: 12345 }, SEGMENT_3, 12345)), [
      'segment size 12345 in the header is not a power of two between 1 MiB and 1 GiB',
    ]);
    assert.deepEqual(reasonsOf(segment({ segmentSize: 2048 * MIB }, SEGMENT_3, SEG16)), [
      'segment size 2147483648 in the header is not a power of two between 1 MiB and 1 GiB',
    ]);
    assert.deepEqual(reasonsOf(segment({ blockSize: 1000 })), [
      'block size 1000 in the header is not a power of two between 1 kB and 64 kB',
    ]);
    assert.deepEqual(reasonsOf(segment({ blockSize: 128 * 1024 })), [
      'block size 131072 in the header is not a power of two between 1 kB and 64 kB',
    ]);
  });

  it("refuses a segment size that is not the server's", () => {
    const verdict = segment(
      { segmentSize: MIB, pageAddress: 0x3000000n },
      '000000010000000000000030',
      MIB,
      {
        segmentSize: toWalSegmentSize(SEG16),
      },
    );
    assert.deepEqual(reasonsOf(verdict), [
      "segment size 1048576 in the header is not this server's (16777216)",
    ]);
  });

  it('refuses a name that cannot exist with the header segment size', () => {
    assert.deepEqual(reasonsOf(segment({}, '000000010000000000000100')), [
      'segment name 000000010000000000000100 cannot exist with 16 MiB segments (its last 8 digits go up to 000000FF)',
    ]);
  });

  it('reports every problem at once', () => {
    const verdict = segment({ pageAddress: 0x2000000n, timeline: 9 }, SEGMENT_3, MIB, {
      systemIdentifier: '1',
    });
    assert.equal(verdict.ok, false);
    if (verdict.ok) return;
    assert.deepEqual(verdict.reasons, [
      'size 1048576 differs from the segment size 16777216 in its header',
      'page address 0/2000000 does not match the name (expected 0/3000000)',
      'timeline 9 in the header is later than timeline 1 in the name',
      `system identifier ${SYSID} is not this server's (1)`,
    ]);
    assert.equal(verdict.reason, verdict.reasons.join('; '));
    assert.equal(verdict.foreign, true);
    assert.equal(verdict.truncated, true);
  });

  it('handles 1 MiB and 1 GiB segments, whose names split differently', () => {
    // 1 MiB: segment 0x1000 is 000000010000000100000000 and starts at 1/0.
    const small = segment(
      { segmentSize: MIB, pageAddress: 0x1_0000_0000n },
      '000000010000000100000000',
      MIB,
    );
    assert.ok(small.ok && small.facts.kind === 'segment' && small.facts.segno === 0x1000n);
    // With 16 MiB segments the same name is segment 0x100, also at 1/0.
    assert.equal(segment({ pageAddress: 0x1_0000_0000n }, '000000010000000100000000').ok, true);
    // 1 GiB: 000000010000000500000003 is segment 23, at 5/C0000000.
    const big = segment(
      { segmentSize: 1024 * MIB, pageAddress: 0x5_c000_0000n },
      '000000010000000500000003',
      1024 * MIB,
    );
    assert.ok(big.ok && big.facts.kind === 'segment' && big.facts.segno === 23n);
    assert.deepEqual(
      reasonsOf(
        segment(
          { segmentSize: 1024 * MIB, pageAddress: 0x5_c000_0000n },
          '000000010000000500000004',
          1024 * MIB,
        ),
      ),
      [
        'segment name 000000010000000500000004 cannot exist with 1 GiB segments (its last 8 digits go up to 00000003)',
      ],
    );
  });

  it('handles the last segment of the address space and the largest timeline', () => {
    const verdict = segment(
      { timeline: 0xffffffff, pageAddress: 0xffff_ffff_ff00_0000n },
      'FFFFFFFFFFFFFFFF000000FF',
    );
    assert.ok(
      verdict.ok && verdict.facts.kind === 'segment' && verdict.facts.segno === 2n ** 40n - 1n,
    );
  });
});

describe('validateWalFile: partial segments', () => {
  const PARTIAL = `${SEGMENT_3}.partial`;

  it('accepts any size from one page to the segment size', () => {
    for (const size of [8192, 8193, MIB, SEG16]) {
      const verdict = check(PARTIAL, segmentHeader(), size);
      assert.ok(verdict.ok && verdict.facts.kind === 'partial', String(size));
    }
  });

  it('refuses one smaller than a page (truncated) or larger than a segment', () => {
    const small = check(PARTIAL, segmentHeader({}, 100));
    assert.deepEqual(reasonsOf(small), ['size 100 is smaller than one WAL page (8192 bytes)']);
    assert.equal(!small.ok && small.truncated, true);
    assert.deepEqual(reasonsOf(check(PARTIAL, segmentHeader(), SEG16 + 8192)), [
      'size 16785408 exceeds the segment size 16777216 in its header',
    ]);
  });

  it('applies the segment rules to the header', () => {
    assert.deepEqual(reasonsOf(check(PARTIAL, segmentHeader({ pageAddress: 0n }), SEG16)), [
      'page address 0/0 does not match the name (expected 0/3000000)',
    ]);
    assert.deepEqual(reasonsOf(check(PARTIAL, Buffer.alloc(8192, 0xab), 8192)), [
      'not a WAL segment: bad magic 0xabab',
    ]);
  });
});
