/**
 * The times of backup.info (`begin_time`, `end_time`). Barman writes Python's `str(datetime)`
 * of a timezone-aware datetime, e.g. `2026-11-24 10:00:00.123456+00:00` (no fraction when the
 * microseconds are 0), and reads them back with dateutil, taking a time without offset as local.
 */
export interface BackupTimestamp {
  /** The text as stored; kept verbatim so a file read and written again is unchanged. */
  readonly text: string;
  /** The instant (millisecond precision). */
  readonly date: Date;
  /** Microseconds within the second, 0-999999 (the part `date` cannot hold). */
  readonly microsecond: number;
  /** The offset from UTC written with it, in seconds; null when the text had none (local time). */
  readonly utcOffsetSeconds: number | null;
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(?:(Z|UTC|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?))?$/i;

/**
 * Reads a time as found in backup.info: ISO 8601 with a space or `T`, an optional fraction and
 * an optional offset (`Z`, `UTC`, `+HH`, `+HH:MM`, `+HHMM`, `+HH:MM:SS`), which covers Python's
 * `str(datetime)` and PostgreSQL's timestamptz output. Returns undefined for anything else.
 */
export function parseBackupTimestamp(text: string): BackupTimestamp | undefined {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  const parts = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = parts;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const microsecond = Number((fraction ?? '').padEnd(6, '0').slice(0, 6));
  const milliseconds = Math.floor(microsecond / 1000);
  const utcOffsetSeconds = offset === undefined ? null : parseOffset(offset);
  const date =
    utcOffsetSeconds === null
      ? new Date(y, mo - 1, d, h, mi, s, milliseconds)
      : new Date(Date.UTC(y, mo - 1, d, h, mi, s, milliseconds) - utcOffsetSeconds * 1000);
  // 2026-02-30 and the like: Date would roll over into the next month.
  if (new Date(Date.UTC(y, mo - 1, d)).getUTCMonth() !== mo - 1) return undefined;
  return { text, date, microsecond, utcOffsetSeconds };
}

/**
 * A timestamp for an instant, written as Python's `str(datetime)` would write it: in the given
 * offset from UTC (default: the local zone's offset at that instant) with microseconds when
 * non-zero. `microsecond` defaults to the instant's milliseconds × 1000.
 */
export function backupTimestamp(
  date: Date,
  options: { readonly utcOffsetSeconds?: number; readonly microsecond?: number } = {},
): BackupTimestamp {
  const utcOffsetSeconds = options.utcOffsetSeconds ?? -date.getTimezoneOffset() * 60;
  const microsecond = options.microsecond ?? date.getMilliseconds() * 1000;
  const shifted = new Date(date.getTime() + utcOffsetSeconds * 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const day = `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
  const time = `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`;
  const fraction = microsecond === 0 ? '' : `.${pad(microsecond, 6)}`;
  const text = `${day} ${time}${fraction}${formatOffset(utcOffsetSeconds)}`;
  return { text, date: new Date(date.getTime()), microsecond, utcOffsetSeconds };
}

/**
 * The same instant in Python's `str(datetime)` form, for a time that came from elsewhere (e.g.
 * PostgreSQL's `2026-11-24 10:00:00.5+00`). A time without offset stays local.
 */
export function toPythonTimestamp(timestamp: BackupTimestamp): BackupTimestamp {
  return backupTimestamp(timestamp.date, {
    microsecond: timestamp.microsecond,
    ...(timestamp.utcOffsetSeconds === null
      ? {}
      : { utcOffsetSeconds: timestamp.utcOffsetSeconds }),
  });
}

function parseOffset(text: string): number {
  if (/^(z|utc)$/i.test(text)) return 0;
  const digits = text.slice(1).replaceAll(':', '');
  const seconds =
    Number(digits.slice(0, 2)) * 3600 +
    Number(digits.slice(2, 4) || '0') * 60 +
    Number(digits.slice(4, 6) || '0');
  return text.startsWith('-') ? -seconds : seconds;
}

/** Python's `+HH:MM`, with `:SS` only when the offset has seconds. */
function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const magnitude = Math.abs(seconds);
  const pad = (value: number) => String(value).padStart(2, '0');
  const base = `${sign}${pad(Math.floor(magnitude / 3600))}:${pad(Math.floor((magnitude % 3600) / 60))}`;
  return magnitude % 60 === 0 ? base : `${base}:${pad(magnitude % 60)}`;
}
