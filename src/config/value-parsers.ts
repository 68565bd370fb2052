/**
 * Parsers for configuration values. Each takes the raw string from the file (already
 * interpolated and trimmed) and returns a typed value or throws a ValueError whose message says
 * what was expected; the loader turns that into a BarkeepError naming the file and line.
 */

/** Thrown by a value parser; the message is the `why` shown to the operator. */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** A value parser: raw configuration text in, typed value out. */
export type ValueParser<T> = (raw: string) => T;

/** `REDUNDANCY n` or `RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS`. */
export type RetentionPolicy =
  | { readonly kind: 'redundancy'; readonly count: number }
  | { readonly kind: 'recovery-window'; readonly count: number; readonly unit: PeriodUnit };

/** The calendar units Barman accepts for windows and ages. */
export type PeriodUnit = 'days' | 'weeks' | 'months';

/** An age such as `1 WEEK` or `7 DAYS`. */
export interface Period {
  readonly count: number;
  readonly unit: PeriodUnit;
}

const TRUE_WORDS = new Set(['1', 'yes', 'true', 'on']);
const FALSE_WORDS = new Set(['0', 'no', 'false', 'off']);

/** Python configparser's booleans: 1/yes/true/on and 0/no/false/off, any case. */
export const parseBoolean: ValueParser<boolean> = (raw) => {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ValueError(`'${raw}' is not a boolean (use on/off, true/false, yes/no or 1/0)`);
};

/** Any text, kept as written (surrounding white space removed). */
export const parseString: ValueParser<string> = (raw) => raw.trim();

/** A whole number >= `min`. */
export function integerParser(min = 0): ValueParser<number> {
  return (raw) => {
    const text = raw.trim();
    if (!/^[+-]?\d+$/.test(text)) throw new ValueError(`'${raw}' is not a whole number`);
    const value = Number.parseInt(text, 10);
    if (value < min) throw new ValueError(`${value} is below the minimum of ${min}`);
    return value;
  };
}

/** One word from a fixed set, compared case-insensitively; `aliases` map old spellings. */
export function enumParser<const T extends string>(
  values: readonly T[],
  aliases: Readonly<Record<string, T>> = {},
): ValueParser<T> {
  return (raw) => {
    const word = raw.trim().toLowerCase();
    const found = values.find((value) => value === word) ?? aliases[word];
    if (found === undefined) {
      throw new ValueError(`'${raw}' is not one of ${values.join(', ')}`);
    }
    return found;
  };
}

/** A comma-separated list of words from a fixed set (Barman's backup_options, recovery_options). */
export function enumListParser<const T extends string>(values: readonly T[]): ValueParser<T[]> {
  const one = enumParser(values);
  return (raw) =>
    raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .map(one);
}

const UNIT_PATTERN = '(day|week|month)s?';

function toUnit(word: string): PeriodUnit {
  const lower = word.toLowerCase();
  return (lower.endsWith('s') ? lower : `${lower}s`) as PeriodUnit;
}

/** Barman's retention policy grammar, case-insensitive. */
export const parseRetentionPolicy: ValueParser<RetentionPolicy> = (raw) => {
  const text = raw.trim();
  const redundancy = /^redundancy\s+(\d+)$/i.exec(text);
  if (redundancy) {
    const count = Number.parseInt(redundancy[1]!, 10);
    if (count < 1) throw new ValueError('REDUNDANCY needs at least 1');
    return { kind: 'redundancy', count };
  }
  const window = new RegExp(`^recovery\\s+window\\s+of\\s+(\\d+)\\s+${UNIT_PATTERN}$`, 'i').exec(
    text,
  );
  if (window) {
    const count = Number.parseInt(window[1]!, 10);
    if (count < 1) throw new ValueError('RECOVERY WINDOW OF needs at least 1');
    return { kind: 'recovery-window', count, unit: toUnit(window[2]!) };
  }
  throw new ValueError(
    `'${raw}' is not a retention policy (use REDUNDANCY n or RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS)`,
  );
};

/** An age such as `1 WEEK`, `7 DAYS`, `2 MONTHS` (Barman's last_backup_maximum_age). */
export const parsePeriod: ValueParser<Period> = (raw) => {
  const match = new RegExp(`^(\\d+)\\s+${UNIT_PATTERN}$`, 'i').exec(raw.trim());
  if (!match) throw new ValueError(`'${raw}' is not a period (use n DAYS, n WEEKS or n MONTHS)`);
  const count = Number.parseInt(match[1]!, 10);
  if (count < 1) throw new ValueError('a period needs at least 1');
  return { count, unit: toUnit(match[2]!) };
};

/** Seconds in a period; a month counts as 31 days, as Barman counts it. */
export function periodSeconds(period: Period): number {
  const days = { days: 1, weeks: 7, months: 31 }[period.unit];
  return period.count * days * 86_400;
}

const SIZE_FACTORS: Record<string, number> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
  ti: 1024 ** 4,
};

/** A size in bytes from `512`, `1 GB`, `1 GiB`, `100 Mi`, `2k`: decimal or binary suffixes. */
export const parseSize: ValueParser<number> = (raw) => {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?$/i.exec(raw.trim());
  if (!match) throw new ValueError(`'${raw}' is not a size (use e.g. 512 MiB or 1 GB)`);
  const factor = SIZE_FACTORS[(match[2] ?? '').toLowerCase()]!;
  return Math.round(Number.parseFloat(match[1]!) * factor);
};

/** The units Barman accepts for freshness ages: the calendar units plus hours. */
export type AgeUnit = PeriodUnit | 'hours';

/** An age such as `12 HOURS` or `1 WEEK` (Barman's last_backup_maximum_age, last_wal_maximum_age). */
export interface Age {
  readonly count: number;
  readonly unit: AgeUnit;
}

/** Like parsePeriod, but also accepts `n HOURS`, which Barman allows for the freshness checks. */
export const parseAge: ValueParser<Age> = (raw) => {
  const match = /^(\d+)\s+(hour|day|week|month)s?$/i.exec(raw.trim());
  if (!match) {
    throw new ValueError(`'${raw}' is not an age (use n HOURS, n DAYS, n WEEKS or n MONTHS)`);
  }
  const count = Number.parseInt(match[1]!, 10);
  if (count < 1) throw new ValueError('an age needs at least 1');
  return { count, unit: `${match[2]!.toLowerCase()}s` as AgeUnit };
};

/** Seconds in an age; a month counts as 31 days, as Barman counts it. */
export function ageSeconds(age: Age): number {
  if (age.unit === 'hours') return age.count * 3_600;
  return periodSeconds({ count: age.count, unit: age.unit });
}

/** The WAL compressions barkeep can write. */
export type WalCompression = 'gzip' | 'zstd' | 'lz4' | 'none';

const WAL_COMPRESSIONS: readonly WalCompression[] = ['gzip', 'zstd', 'lz4', 'none'];
const parseKnownWalCompression = enumParser(WAL_COMPRESSIONS, { pigz: 'gzip', pygzip: 'gzip' });
const FOREIGN_WAL_COMPRESSIONS = new Set(['bzip2', 'pybzip2', 'xz', 'snappy', 'custom']);

/**
 * Barman's `compression` for WAL files. Barman's pigz and pygzip write plain gzip, so they map
 * to gzip; the other Barman formats are refused with a message saying what barkeep can write.
 */
export const parseWalCompression: ValueParser<WalCompression> = (raw) => {
  const word = raw.trim().toLowerCase();
  if (FOREIGN_WAL_COMPRESSIONS.has(word)) {
    throw new ValueError(
      `barkeep cannot write '${word}' compressed WAL files; use one of ${WAL_COMPRESSIONS.join(', ')} (pigz and pygzip are taken as gzip)`,
    );
  }
  return parseKnownWalCompression(raw);
};

/** Barman's `compression_level`: `low`, `medium`, `high` or a whole number (zstd allows negatives). */
export type CompressionLevel = 'low' | 'medium' | 'high' | number;

const parseLevelWord = enumParser(['low', 'medium', 'high']);

/** Parses `compression_level`. */
export const parseCompressionLevel: ValueParser<CompressionLevel> = (raw) => {
  const text = raw.trim();
  if (/^[+-]?\d+$/.test(text)) return Number.parseInt(text, 10);
  try {
    return parseLevelWord(text);
  } catch {
    throw new ValueError(`'${raw}' is not a compression level (use low, medium, high or a number)`);
  }
};

/** Per-tablespace bandwidth limits in KB/s, keyed by tablespace name. */
export type TablespaceBandwidth = Readonly<Record<string, number>>;

/**
 * Barman's `tablespace_bandwidth_limit`: `name:kbps` pairs separated by commas or spaces,
 * e.g. `tbs1:1000, tbs2:500`.
 */
export const parseTablespaceBandwidth: ValueParser<TablespaceBandwidth> = (raw) => {
  const limits: Record<string, number> = {};
  for (const pair of raw.split(/[\s,]+/).filter((part) => part !== '')) {
    const match = /^([^:]+):(\d+)$/.exec(pair);
    if (!match) {
      throw new ValueError(`'${pair}' is not a tablespace limit (use NAME:KBPS, comma-separated)`);
    }
    limits[match[1]!] = Number.parseInt(match[2]!, 10);
  }
  return limits;
};

/** A replication slot name: lower-case letters, digits and `_` (upper case is folded, as Barman does). */
export const parseSlotName: ValueParser<string> = (raw) => {
  const name = raw.trim().toLowerCase();
  if (!/^[0-9a-z_]+$/.test(name)) {
    throw new ValueError(
      `'${raw}' is not a replication slot name (only letters, digits and underscores)`,
    );
  }
  return name;
};

/** An absolute path (Barman refuses relative staging paths). */
export const parseAbsolutePath: ValueParser<string> = (raw) => {
  const path = raw.trim();
  if (!path.startsWith('/')) throw new ValueError(`'${raw}' is not an absolute path`);
  return path;
};

/** A comma-separated list of names, none of them empty (Barman's snapshot_disks). */
export const parseNameList: ValueParser<string[]> = (raw) => {
  const names = raw.split(',').map((part) => part.trim());
  if (names.some((name) => name === '')) {
    throw new ValueError(`'${raw}' has an empty name in its comma-separated list`);
  }
  return names;
};
