import { formatLsn, type Lsn, parseLsn } from './lsn.ts';
import { isSegmentName, type SegmentName } from './segment-name.ts';
import { type TimelineId, toTimelineId } from './timeline.ts';
import { isWalFormatError, WalFormatError } from './wal-format-error.ts';

/**
 * The content of a backup history file (`<segment>.<offset>.backup`), which PostgreSQL writes
 * to pg_wal and archives when a base backup ends: where the backup's WAL starts and stops.
 */
export interface BackupHistoryFile {
  /** `START WAL LOCATION`: the backup's redo point, where recovery from it starts. */
  readonly startLsn: Lsn;
  /** The segment named after the start location, `(file ...)`, on the start timeline. */
  readonly startSegment: SegmentName;
  /** `STOP WAL LOCATION`: the WAL up to here is needed to make the backup consistent. */
  readonly stopLsn: Lsn;
  /** The segment named after the stop location, on the stop timeline. */
  readonly stopSegment: SegmentName;
  /** `CHECKPOINT LOCATION`, when present. */
  readonly checkpointLsn: Lsn | undefined;
  /** `START TIMELINE` (PostgreSQL 11+), when present. */
  readonly startTimeline: TimelineId | undefined;
  /** `STOP TIMELINE` (PostgreSQL 11+), when present. */
  readonly stopTimeline: TimelineId | undefined;
  /** `LABEL`, when present. */
  readonly label: string | undefined;
  /** Every `KEY: value` line as written, e.g. `BACKUP METHOD` → `streamed`. */
  readonly fields: ReadonlyMap<string, string>;
}

const FIELD = /^([A-Z][A-Z ]*[A-Z]): (.*)$/;
const LOCATION = /^(\S+) \(file ([0-9A-F]{24})\)$/;

/**
 * Parses a backup history file, so put-wal can check it agrees with its name before archiving
 * it and the catalog can find where a backup's WAL starts and stops. Lines are `KEY: value`, as
 * PostgreSQL's `do_pg_backup_stop` writes them; `START WAL LOCATION` and `STOP WAL LOCATION`
 * (`<LSN> (file <segment>)`) are required, the other known keys are checked when present, and
 * keys this version does not know are kept in `fields` only.
 *
 * @throws WalFormatError when a required line is missing or a known value is malformed.
 */
export function parseBackupHistoryFile(text: string): BackupHistoryFile {
  const fields = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    const field = FIELD.exec(line);
    if (field !== null && !fields.has(field[1]!)) fields.set(field[1]!, field[2]!);
  }
  const start = location(fields, 'START WAL LOCATION');
  const stop = location(fields, 'STOP WAL LOCATION');
  if (stop.lsn < start.lsn) {
    throw new WalFormatError(
      `STOP WAL LOCATION ${formatLsn(stop.lsn)} is before START WAL LOCATION ${formatLsn(start.lsn)}`,
    );
  }
  const checkpoint = fields.get('CHECKPOINT LOCATION');
  return {
    startLsn: start.lsn,
    startSegment: start.segment,
    stopLsn: stop.lsn,
    stopSegment: stop.segment,
    checkpointLsn:
      checkpoint === undefined
        ? undefined
        : value('CHECKPOINT LOCATION', () => parseLsn(checkpoint)),
    startTimeline: timeline(fields, 'START TIMELINE'),
    stopTimeline: timeline(fields, 'STOP TIMELINE'),
    label: fields.get('LABEL'),
    fields,
  };
}

function location(
  fields: ReadonlyMap<string, string>,
  key: string,
): { lsn: Lsn; segment: SegmentName } {
  const text = fields.get(key);
  if (text === undefined) throw new WalFormatError(`no '${key}:' line`);
  const match = LOCATION.exec(text);
  if (match === null || !isSegmentName(match[2]!)) {
    throw new WalFormatError(`${key} '${text}' is not of the form '<LSN> (file <segment>)'`);
  }
  return { lsn: value(key, () => parseLsn(match[1]!)), segment: match[2]! };
}

function timeline(fields: ReadonlyMap<string, string>, key: string): TimelineId | undefined {
  const text = fields.get(key);
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text)) throw new WalFormatError(`${key} '${text}' is not a number`);
  return value(key, () => toTimelineId(Number(text)));
}

function value<T>(key: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isWalFormatError(error)) throw new WalFormatError(`${key}: ${error.reason}`);
    throw error;
  }
}
