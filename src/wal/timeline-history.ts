import { formatLsn, type Lsn, parseLsn } from './lsn.ts';
import { type TimelineId, toTimelineId } from './timeline.ts';
import { isWalFormatError, WalFormatError } from './wal-format-error.ts';

/**
 * One line of a timeline history file (`<tli>.history`): the timeline that was left, and where.
 * Timeline `parent` ended at `switchLsn`; the next entry's timeline (or, for the last entry, the
 * timeline the file belongs to) starts there.
 */
export interface TimelineHistoryEntry {
  /** The parent timeline this line describes. */
  readonly parent: TimelineId;
  /** The first location that is no longer on `parent` (PostgreSQL's switchpoint). */
  readonly switchLsn: Lsn;
  /** Free text PostgreSQL gives, e.g. `no recovery target specified`; may be empty. */
  readonly reason: string;
}

const ENTRY = /^(\S+)\s+(\S+)(?:\s+(.*))?$/;

/**
 * Parses the content of a timeline history file, the way PostgreSQL's `readTimeLineHistory`
 * reads it, so barkeep can follow timelines during recovery and WAL-continuity checks. Each
 * line is `<parent tli>\t<switch LSN>\t<reason>` with the parent in decimal and the LSN as
 * `%X/%X`; blank lines and lines starting with `#` (after leading white space) are skipped, and
 * like PostgreSQL any white space separates the fields. The result is oldest first.
 *
 * Beyond PostgreSQL, which only insists that parent timelines increase, the switch LSNs must not
 * decrease either: a later branch cannot start before an earlier one ended. Equal LSNs are
 * allowed, because a standby promoted before it replayed anything on its current timeline
 * branches at the very location where that timeline began.
 *
 * @throws WalFormatError naming the line that is malformed or out of order.
 */
export function parseTimelineHistory(text: string): TimelineHistoryEntry[] {
  const entries: TimelineHistoryEntry[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const lineNumber = index + 1;
    const entry = parseEntry(line, lineNumber);
    const previous = entries.at(-1);
    if (previous !== undefined && entry.parent <= previous.parent) {
      throw new WalFormatError(
        `line ${lineNumber} of the timeline history: timeline ${entry.parent} follows timeline ${previous.parent} (timelines must increase)`,
      );
    }
    if (previous !== undefined && entry.switchLsn < previous.switchLsn) {
      throw new WalFormatError(
        `line ${lineNumber} of the timeline history: switch point ${formatLsn(entry.switchLsn)} is before the previous one, ${formatLsn(previous.switchLsn)}`,
      );
    }
    entries.push(entry);
  }
  return entries;
}

function parseEntry(line: string, lineNumber: number): TimelineHistoryEntry {
  const where = `line ${lineNumber} of the timeline history`;
  const fields = ENTRY.exec(line);
  const parentText = fields?.[1] ?? line;
  if (!/^\d{1,10}$/.test(parentText)) {
    throw new WalFormatError(`${where}: expected a numeric timeline ID, found '${line}'`);
  }
  if (fields === null) {
    throw new WalFormatError(`${where}: expected a switch-point location after the timeline`);
  }
  try {
    return {
      parent: toTimelineId(Number(parentText)),
      switchLsn: parseLsn(fields[2]!),
      reason: (fields[3] ?? '').trimEnd(),
    };
  } catch (error) {
    if (isWalFormatError(error)) throw new WalFormatError(`${where}: ${error.reason}`);
    throw error;
  }
}

/**
 * Writes entries back as PostgreSQL's `writeTimeLineHistory` would have written them: each line
 * `<parent>\t<LSN>\t<reason>\n`, with an empty line between entries (PostgreSQL copies the
 * parent's file and then appends a newline before its own line). Used to synthesise or re-emit
 * history files that PostgreSQL reads back unchanged.
 */
export function formatTimelineHistory(entries: readonly TimelineHistoryEntry[]): string {
  return entries
    .map((entry) => `${entry.parent}\t${formatLsn(entry.switchLsn)}\t${entry.reason}\n`)
    .join('\n');
}
