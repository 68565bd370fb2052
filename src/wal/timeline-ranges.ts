import { formatLsn, INVALID_LSN, type Lsn } from './lsn.ts';
import type { TimelineId } from './timeline.ts';
import type { TimelineHistoryEntry } from './timeline-history.ts';
import { WalFormatError } from './wal-format-error.ts';
import { type SegmentNumber, segmentOfLsn } from './wal-segment.ts';
import type { WalSegmentSize } from './wal-segment-size.ts';

/**
 * The stretch of WAL a timeline covers in one timeline's ancestry: `[begin, end)`. PostgreSQL
 * keeps the same list (`TimeLineHistoryEntry`) to know which timeline each location was on.
 */
export interface TimelineRange {
  readonly timeline: TimelineId;
  /** First location on this timeline; `0/0` for the oldest, which runs from the beginning. */
  readonly begin: Lsn;
  /** First location past it (its switch point); undefined for the timeline itself (open). */
  readonly end: Lsn | undefined;
}

/**
 * The ancestry of `timeline` as ranges, oldest first, ending with `timeline` itself (open-ended),
 * from the entries of its history file (`[]` for timeline 1, which has none). This is
 * PostgreSQL's `readTimeLineHistory` result, the basis of the helpers below.
 *
 * @throws WalFormatError when an entry's parent timeline is not older than `timeline`
 *   (the history belongs to another timeline).
 */
export function timelineRanges(
  history: readonly TimelineHistoryEntry[],
  timeline: TimelineId,
): TimelineRange[] {
  const ranges: TimelineRange[] = [];
  let begin = INVALID_LSN;
  for (const entry of history) {
    if (entry.parent >= timeline) {
      throw new WalFormatError(
        `the history names timeline ${entry.parent} as a parent of timeline ${timeline}; parents must be older`,
      );
    }
    ranges.push({ timeline: entry.parent, begin, end: entry.switchLsn });
    begin = entry.switchLsn;
  }
  ranges.push({ timeline, begin, end: undefined });
  return ranges;
}

/**
 * Which timeline was current at `lsn` in the ancestry of `timeline` (PostgreSQL's
 * `tliOfPointInHistory`): what recovery towards `timeline` replays at that location. The
 * switch point itself belongs to the newer timeline.
 *
 * @throws WalFormatError as {@link timelineRanges}.
 */
export function timelineAtLsn(
  history: readonly TimelineHistoryEntry[],
  timeline: TimelineId,
  lsn: Lsn,
): TimelineId {
  const ranges = timelineRanges(history, timeline);
  const found = ranges.find(
    (range) => lsn >= range.begin && (range.end === undefined || lsn < range.end),
  );
  // The ranges cover 0/0 to the end of WAL without gaps, so something always matches.
  if (found === undefined) throw new WalFormatError(`no timeline covers ${formatLsn(lsn)}`);
  return found.timeline;
}

/**
 * The timeline whose file recovery towards `timeline` reads for segment `segno`: the newest
 * timeline in the ancestry that had begun by that segment (as PostgreSQL's
 * `XLogFileReadAnyTLI` prefers). The segment holding a switch point therefore comes from the
 * new timeline, whose copy has the old WAL up to the switch and the new WAL after it. Used to
 * name the files a backup or a recovery needs.
 *
 * @throws WalFormatError as {@link timelineRanges}.
 */
export function timelineForSegment(
  history: readonly TimelineHistoryEntry[],
  timeline: TimelineId,
  segno: SegmentNumber,
  segmentSize: WalSegmentSize,
): TimelineId {
  const ranges = timelineRanges(history, timeline);
  for (let index = ranges.length - 1; index > 0; index -= 1) {
    const range = ranges[index]!;
    if (segmentOfLsn(range.begin, segmentSize) <= segno) return range.timeline;
  }
  return ranges[0]!.timeline;
}

/**
 * Whether `candidate` is `timeline` or one of its ancestors, i.e. whether WAL of `candidate`
 * can lead to `timeline` (recovery's `--target-tli` must be reachable from the backup's).
 */
export function isTimelineInHistory(
  history: readonly TimelineHistoryEntry[],
  timeline: TimelineId,
  candidate: TimelineId,
): boolean {
  return candidate === timeline || history.some((entry) => entry.parent === candidate);
}
