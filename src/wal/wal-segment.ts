import { type Lsn, MAX_LSN } from './lsn.ts';
import type { WalSegmentSize } from './wal-segment-size.ts';

/**
 * A WAL segment number (PostgreSQL's `XLogSegNo`): the index of a segment file in the WAL
 * address space, `LSN / segment size`. It does not depend on the timeline. Branded bigint: for
 * 1 MiB segments it goes up to 2^44, beyond what JS numbers hold exactly.
 */
export type SegmentNumber = bigint & { readonly __brand: 'SegmentNumber' };

/**
 * The last segment number for a segment size: the segment holding `FFFFFFFF/FFFFFFFF`.
 */
export function lastSegmentNumber(segmentSize: WalSegmentSize): SegmentNumber {
  return (MAX_LSN / BigInt(segmentSize)) as SegmentNumber;
}

/**
 * Brands a bigint as a segment number after checking it lies in the WAL address space for the
 * segment size.
 *
 * @throws RangeError when `value` is negative or past {@link lastSegmentNumber}.
 */
export function toSegmentNumber(value: bigint, segmentSize: WalSegmentSize): SegmentNumber {
  if (value < 0n || value > lastSegmentNumber(segmentSize)) {
    throw new RangeError(
      `segment ${value} is outside the WAL address space for ${segmentSize}-byte segments`,
    );
  }
  return value as SegmentNumber;
}

/**
 * How many segments one "xlog id" (4 GiB of WAL, the middle 8 hex digits of a file name)
 * holds: PostgreSQL's `XLogSegmentsPerXLogId`, `0x100000000 / segment size`. 256 for 16 MiB,
 * 4096 for 1 MiB, 4 for 1 GiB. The last 8 hex digits of a segment name run from 0 to this - 1.
 */
export function segmentsPerXlogId(segmentSize: WalSegmentSize): bigint {
  return 0x1_0000_0000n / BigInt(segmentSize);
}

/**
 * The segment that holds the byte at `lsn` (PostgreSQL's `XLByteToSeg`), e.g. where a backup
 * starts or a record begins.
 */
export function segmentOfLsn(lsn: Lsn, segmentSize: WalSegmentSize): SegmentNumber {
  return (lsn / BigInt(segmentSize)) as SegmentNumber;
}

/**
 * The segment that holds the byte just before `lsn` (PostgreSQL's `XLByteToPrevSeg`): the last
 * segment needed for WAL that ends at `lsn`, e.g. a backup's stop location. It differs from
 * {@link segmentOfLsn} only when `lsn` is exactly at a segment boundary. `pg_walfile_name()`
 * and `pg_walfile_name_offset()` used this rule up to PostgreSQL 16; since 17 they use
 * {@link segmentOfLsn}'s (checked in test/wal/wal-page-header.pg.test.ts).
 *
 * @throws RangeError for `0/0`, which has nothing before it.
 */
export function segmentBeforeLsn(lsn: Lsn, segmentSize: WalSegmentSize): SegmentNumber {
  if (lsn === 0n) throw new RangeError('there is no WAL before 0/0');
  return ((lsn - 1n) / BigInt(segmentSize)) as SegmentNumber;
}

/** Where `lsn` lies inside its segment, in bytes (PostgreSQL's `XLogSegmentOffset`). */
export function segmentOffsetOfLsn(lsn: Lsn, segmentSize: WalSegmentSize): number {
  return Number(lsn % BigInt(segmentSize));
}

/**
 * The LSN of the first byte of a segment (PostgreSQL's `XLogSegNoOffsetToRecPtr` with offset
 * 0), which is also the page address in the segment's first page header.
 */
export function segmentStartLsn(segno: SegmentNumber, segmentSize: WalSegmentSize): Lsn {
  return (segno * BigInt(segmentSize)) as Lsn;
}

/**
 * The segment after `segno`, for walking WAL forward (continuity checks, prefetching).
 *
 * @throws RangeError past the last segment of the address space.
 */
export function nextSegment(segno: SegmentNumber, segmentSize: WalSegmentSize): SegmentNumber {
  if (segno >= lastSegmentNumber(segmentSize)) {
    throw new RangeError(`segment ${segno} is the last one of the WAL address space`);
  }
  return (segno + 1n) as SegmentNumber;
}

/**
 * The segment before `segno`, for walking WAL backward.
 *
 * @throws RangeError for segment 0, which has no predecessor.
 */
export function previousSegment(segno: SegmentNumber): SegmentNumber {
  if (segno <= 0n) throw new RangeError('segment 0 has no predecessor');
  return (segno - 1n) as SegmentNumber;
}
