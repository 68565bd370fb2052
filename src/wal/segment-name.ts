import { formatTimelineId, type TimelineId } from './timeline.ts';
import { WalFormatError } from './wal-format-error.ts';
import { type SegmentNumber, segmentsPerXlogId } from './wal-segment.ts';
import { describeWalSegmentSize, type WalSegmentSize } from './wal-segment-size.ts';

/**
 * The name of a WAL segment file, as PostgreSQL's `XLogFileName` writes it: 24 uppercase hex
 * digits, `<timeline><log><seg>` with 8 digits each (`000000010000000A000000FF`). Branded so
 * that only checked names reach the catalog and the file system.
 */
export type SegmentName = string & { readonly __brand: 'SegmentName' };

/** A segment name taken apart for a given segment size. */
export interface ParsedSegmentName {
  readonly timeline: TimelineId;
  readonly segno: SegmentNumber;
}

const SEGMENT_NAME = /^[0-9A-F]{24}$/;

/**
 * True when `text` has the form of a segment name PostgreSQL can produce: 24 uppercase hex
 * digits (its `IsXLogFileName`) and a timeline other than 0. Whether the last 8 digits fit the
 * segment size is checked by {@link parseSegmentName}, which knows the size.
 */
export function isSegmentName(text: string): text is SegmentName {
  return SEGMENT_NAME.test(text) && !text.startsWith('00000000');
}

/**
 * The file name of segment `segno` on `timeline` (PostgreSQL's `XLogFileName`). The middle and
 * last 8 digits are `segno / segmentsPerXlogId` and `segno % segmentsPerXlogId`, so the same
 * segment number has different names for different segment sizes: segment 0x100 is
 * `...0000000100000000` with 16 MiB segments but `...0000000000000100` with 1 MiB ones.
 */
export function segmentName(
  timeline: TimelineId,
  segno: SegmentNumber,
  segmentSize: WalSegmentSize,
): SegmentName {
  const perId = segmentsPerXlogId(segmentSize);
  return `${formatTimelineId(timeline)}${hex8(segno / perId)}${hex8(segno % perId)}` as SegmentName;
}

/**
 * Takes a segment name apart for a segment size (PostgreSQL's `XLogFromFileName`), so that
 * barkeep can compute which WAL a file holds. Returns undefined when `name` is not 24
 * uppercase hex digits at all (not a segment name: lowercase, a suffix, a path).
 *
 * @throws WalFormatError when it has the form but cannot exist: timeline 0, or last 8 digits
 *   beyond the segments of one xlog id for this segment size (`000000FF` is the last for 16 MiB
 *   segments, `00000003` for 1 GiB ones).
 */
export function parseSegmentName(
  name: string,
  segmentSize: WalSegmentSize,
): ParsedSegmentName | undefined {
  if (!SEGMENT_NAME.test(name)) return undefined;
  const timeline = Number.parseInt(name.slice(0, 8), 16);
  if (timeline === 0) {
    throw new WalFormatError(`segment name ${name} has timeline 0, which never exists`);
  }
  const log = BigInt(`0x${name.slice(8, 16)}`);
  const seg = BigInt(`0x${name.slice(16, 24)}`);
  const perId = segmentsPerXlogId(segmentSize);
  if (seg >= perId) {
    throw new WalFormatError(
      `segment name ${name} cannot exist with ${describeWalSegmentSize(segmentSize)} segments (its last 8 digits go up to ${hex8(perId - 1n)})`,
    );
  }
  return { timeline: timeline as TimelineId, segno: (log * perId + seg) as SegmentNumber };
}

/**
 * The catalog sub-directory of a segment: `wals/<first 16 hex digits>/` (timeline and log), the
 * layout Barman uses (its `hash_dir`) so that no directory holds more than one xlog id's worth
 * of segments.
 */
export function segmentCatalogDirectory(name: SegmentName): string {
  return name.slice(0, 16);
}

function hex8(value: bigint): string {
  return value.toString(16).toUpperCase().padStart(8, '0');
}
