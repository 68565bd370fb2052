import { isSegmentName, type SegmentName, segmentCatalogDirectory } from './segment-name.ts';
import type { TimelineId } from './timeline.ts';

/** A completed WAL segment, `000000010000000000000001`. */
export interface SegmentFileName {
  readonly kind: 'segment';
  /** The file name as given. */
  readonly name: string;
  readonly segment: SegmentName;
  readonly timeline: TimelineId;
}

/**
 * A segment that is not complete or not final: `<segment>.partial`. PostgreSQL archives one at
 * promotion (the old timeline's last segment), and pg_receivewal/Barman keep the segment being
 * streamed under that name.
 */
export interface PartialSegmentFileName {
  readonly kind: 'partial';
  readonly name: string;
  readonly segment: SegmentName;
  readonly timeline: TimelineId;
}

/**
 * A backup history file, `<segment>.<offset>.backup`, written at the end of a base backup: the
 * segment and byte offset (8 hex digits) where the backup started.
 */
export interface BackupHistoryFileName {
  readonly kind: 'backup';
  readonly name: string;
  readonly segment: SegmentName;
  readonly timeline: TimelineId;
  /** Offset of the backup's start LSN inside `segment`. */
  readonly offset: number;
}

/** A timeline history file, `<8 hex tli>.history`, written when a timeline begins. */
export interface TimelineHistoryFileName {
  readonly kind: 'history';
  readonly name: string;
  readonly timeline: TimelineId;
}

/** Every kind of file PostgreSQL archives or streams, told apart by its name. */
export type WalFileName =
  | SegmentFileName
  | PartialSegmentFileName
  | BackupHistoryFileName
  | TimelineHistoryFileName;

/** The `kind` of a {@link WalFileName}. */
export type WalFileKind = WalFileName['kind'];

const PARTIAL = /^([0-9A-F]{24})\.partial$/;
const BACKUP_HISTORY = /^([0-9A-F]{24})\.([0-9A-F]{8})\.backup$/;
const TIMELINE_HISTORY = /^([0-9A-F]{8})\.history$/;

/**
 * Classifies a file name (not a path) the way PostgreSQL's `IsXLogFileName`,
 * `IsPartialXLogFileName`, `IsBackupHistoryFileName` and `IsTLHistoryFileName` do, so that
 * put-wal, archive-wal and get-wal treat each kind correctly. Hex digits must be uppercase, as
 * PostgreSQL writes them, and the timeline must not be 0. Anything else is undefined: lowercase
 * names, paths, temporary files, and compressed names such as Barman's `...0001.gz` (the
 * catalog keeps compressed files under their plain name).
 *
 * Whether a segment name fits the server's segment size is left to `parseSegmentName`.
 */
export function parseWalFileName(name: string): WalFileName | undefined {
  if (isSegmentName(name)) {
    return { kind: 'segment', name, segment: name, timeline: timelineOf(name) };
  }
  const partial = PARTIAL.exec(name)?.[1];
  if (partial !== undefined) {
    return isSegmentName(partial)
      ? { kind: 'partial', name, segment: partial, timeline: timelineOf(partial) }
      : undefined;
  }
  const backup = BACKUP_HISTORY.exec(name);
  if (backup !== null) {
    const segment = backup[1]!;
    return isSegmentName(segment)
      ? {
          kind: 'backup',
          name,
          segment,
          timeline: timelineOf(segment),
          offset: Number.parseInt(backup[2]!, 16),
        }
      : undefined;
  }
  const history = TIMELINE_HISTORY.exec(name)?.[1];
  if (history !== undefined && history !== '00000000') {
    return { kind: 'history', name, timeline: timelineOf(history) };
  }
  return undefined;
}

/**
 * The catalog sub-directory a file goes to under `wals/`, as Barman lays it out: the segment's
 * first 16 hex digits for segments, partial segments and backup history files, and `''` (the
 * `wals/` directory itself) for timeline history files.
 */
export function walFileCatalogDirectory(file: WalFileName): string {
  return file.kind === 'history' ? '' : segmentCatalogDirectory(file.segment);
}

function timelineOf(hex: string): TimelineId {
  return Number.parseInt(hex.slice(0, 8), 16) as TimelineId;
}
