import { WalFormatError } from './wal-format-error.ts';

/**
 * A timeline ID (PostgreSQL's `TimeLineID`): a 32-bit unsigned number, 1 for the history that
 * initdb starts and one more for every promotion or point-in-time recovery that ends recovery.
 * 0 is never a timeline. Branded so that a timeline cannot be confused with a segment number,
 * a port or a major version.
 */
export type TimelineId = number & { readonly __brand: 'TimelineId' };

/** The first timeline, the one every cluster starts on. */
export const FIRST_TIMELINE = 1 as TimelineId;

/** The largest timeline ID, `0xFFFFFFFF`. */
export const MAX_TIMELINE_ID = 0xffff_ffff as TimelineId;

const TIMELINE_HEX = /^[0-9A-F]{8}$/;

/** True when `value` is a valid timeline ID: an integer in 1..0xFFFFFFFF. */
export function isTimelineId(value: number): value is TimelineId {
  return Number.isInteger(value) && value >= 1 && value <= MAX_TIMELINE_ID;
}

/**
 * Brands a number as a timeline ID after checking its range, for values read from the server,
 * a history file or the command line.
 *
 * @throws WalFormatError when `value` is not an integer in 1..4294967295.
 */
export function toTimelineId(value: number): TimelineId {
  if (!isTimelineId(value)) {
    throw new WalFormatError(`timeline ${value} is not valid (a timeline is 1 to 4294967295)`);
  }
  return value;
}

/**
 * Parses the 8-digit uppercase hexadecimal form PostgreSQL uses in WAL file names
 * (`0000000A` is timeline 10), as found at the start of a segment name or in `<tli>.history`.
 *
 * @throws WalFormatError when `text` is not 8 uppercase hex digits, or is `00000000`.
 */
export function parseTimelineId(text: string): TimelineId {
  if (!TIMELINE_HEX.test(text)) {
    throw new WalFormatError(
      `'${text}' is not a timeline in a WAL file name (8 uppercase hex digits)`,
    );
  }
  return toTimelineId(Number.parseInt(text, 16));
}

/** Formats a timeline as in WAL file names: 8 uppercase hex digits (`%08X`), e.g. `0000000A`. */
export function formatTimelineId(timeline: TimelineId): string {
  return timeline.toString(16).toUpperCase().padStart(8, '0');
}
