import { type BackupHistoryFile, parseBackupHistoryFile } from './backup-history-file.ts';
import { formatLsn, type Lsn } from './lsn.ts';
import { segmentName } from './segment-name.ts';
import { parseTimelineId } from './timeline.ts';
import { parseTimelineHistory, type TimelineHistoryEntry } from './timeline-history.ts';
import type { BackupHistoryFileName, TimelineHistoryFileName } from './wal-file-name.ts';
import { rejectWalFile, type WalFileCheck, type WalFileRejection } from './wal-file-verdict.ts';
import { isWalFormatError } from './wal-format-error.ts';
import { segmentOffsetOfLsn, segmentOfLsn } from './wal-segment.ts';
import { allWalSegmentSizes, type WalSegmentSize } from './wal-segment-size.ts';

/** What a valid timeline history file holds. */
export interface TimelineHistoryFacts {
  readonly kind: 'history';
  /** Its entries, oldest first. */
  readonly entries: readonly TimelineHistoryEntry[];
}

/** What a valid backup history file holds. */
export interface BackupHistoryFacts {
  readonly kind: 'backup';
  readonly backup: BackupHistoryFile;
}

/**
 * Checks a `<tli>.history` file for `validateWalFile`: UTF-8 text that parses as a timeline
 * history, with at least one entry (PostgreSQL always writes the parent's line) and every parent
 * older than the file's timeline, so recovery can follow it.
 */
export function validateTimelineHistoryFile(
  file: TimelineHistoryFileName,
  bytes: Uint8Array,
  fileSize: number,
): WalFileCheck<TimelineHistoryFacts> {
  const text = wholeText(bytes, fileSize);
  if (typeof text !== 'string') return text;
  let entries: TimelineHistoryEntry[];
  try {
    entries = parseTimelineHistory(text);
  } catch (error) {
    if (!isWalFormatError(error)) throw error;
    return refuse(`not a timeline history: ${error.reason}`);
  }
  if (entries.length === 0) {
    return refuse(
      'not a timeline history: it has no entries (PostgreSQL always writes the parent timeline)',
    );
  }
  const reasons = entries
    .filter((entry) => entry.parent >= file.timeline)
    .map(
      (entry) =>
        `parent timeline ${entry.parent} is not older than timeline ${file.timeline} of the file`,
    );
  return reasons.length > 0
    ? rejectWalFile(reasons)
    : { ok: true, facts: { kind: 'history', entries } };
}

/**
 * Checks a `<segment>.<offset>.backup` file for `validateWalFile`: it must parse as a backup
 * history file whose start location lies in the segment of the name (its `(file ...)` has the
 * name's log and segment digits) at the name's offset, with a timeline in the name no older than
 * the start timeline (PostgreSQL names the file after the stop timeline). Without
 * `segmentSize`, the offset must fit for some valid segment size.
 */
export function validateBackupHistoryFile(
  file: BackupHistoryFileName,
  bytes: Uint8Array,
  fileSize: number,
  segmentSize: WalSegmentSize | undefined,
): WalFileCheck<BackupHistoryFacts> {
  const text = wholeText(bytes, fileSize);
  if (typeof text !== 'string') return text;
  let backup: BackupHistoryFile;
  try {
    backup = parseBackupHistoryFile(text);
  } catch (error) {
    if (!isWalFormatError(error)) throw error;
    return refuse(`not a backup history file: ${error.reason}`);
  }
  const reasons: string[] = [];
  const start = `START WAL LOCATION ${formatLsn(backup.startLsn)}`;
  if (backup.startSegment.slice(8) !== file.segment.slice(8)) {
    reasons.push(
      `${start} is in segment ${backup.startSegment}, not in ${file.segment} as the name says`,
    );
  }
  const startTimeline = parseTimelineId(backup.startSegment.slice(0, 8));
  if (backup.stopTimeline !== undefined && backup.stopTimeline !== file.timeline) {
    reasons.push(
      `timeline ${file.timeline} in the name is not the STOP TIMELINE ${backup.stopTimeline}`,
    );
  } else if (file.timeline < startTimeline) {
    reasons.push(
      `timeline ${file.timeline} in the name is older than the start timeline ${startTimeline}`,
    );
  }
  const sizes = segmentSize === undefined ? allWalSegmentSizes() : [segmentSize];
  const fitting = sizes.filter((size) => names(backup.startSegment, backup.startLsn, size));
  if (fitting.length === 0) {
    reasons.push(`${start} is not in the segment it names, ${backup.startSegment}`);
  } else if (!fitting.some((size) => segmentOffsetOfLsn(backup.startLsn, size) === file.offset)) {
    const actual = segmentOffsetOfLsn(backup.startLsn, fitting[0]!);
    reasons.push(
      `offset ${hex8(file.offset)} in the name does not match ${start} (offset ${hex8(actual)} in its segment)`,
    );
  } else if (!fitting.some((size) => names(backup.stopSegment, backup.stopLsn, size))) {
    reasons.push(
      `STOP WAL LOCATION ${formatLsn(backup.stopLsn)} is not in the segment it names, ${backup.stopSegment}`,
    );
  }
  return reasons.length > 0
    ? rejectWalFile(reasons)
    : { ok: true, facts: { kind: 'backup', backup } };
}

/** Whether `segment` (with its own timeline) is the segment holding `lsn` for `size`. */
function names(segment: string, lsn: Lsn, size: WalSegmentSize): boolean {
  const timeline = parseTimelineId(segment.slice(0, 8));
  return segmentName(timeline, segmentOfLsn(lsn, size), size) === segment;
}

function wholeText(bytes: Uint8Array, fileSize: number): string | WalFileRejection {
  if (bytes.length !== fileSize) {
    return refuse(
      `the whole file is needed for the check (got ${bytes.length} of ${fileSize} bytes)`,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return refuse('not a text file (invalid UTF-8)');
  }
}

function hex8(value: number): string {
  return value.toString(16).toUpperCase().padStart(8, '0');
}

function refuse(reason: string): WalFileRejection {
  return rejectWalFile([reason]);
}
