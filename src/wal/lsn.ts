import { WalFormatError } from './wal-format-error.ts';

/**
 * A WAL location (PostgreSQL's `XLogRecPtr`, SQL type `pg_lsn`): a byte position in the 64-bit
 * WAL address space. Branded so that an arbitrary bigint (a size, a segment number) cannot be
 * passed where a location is meant. Always a bigint: LSNs pass 2^53, so JS numbers would
 * silently lose the low bits.
 */
export type Lsn = bigint & { readonly __brand: 'Lsn' };

/** The largest LSN, `FFFFFFFF/FFFFFFFF`. */
export const MAX_LSN = 0xffff_ffff_ffff_ffffn as Lsn;

/**
 * PostgreSQL's `InvalidXLogRecPtr` (`0/0`): no WAL is ever written there, so the server uses it
 * for "no location" (e.g. a timeline that has not ended).
 */
export const INVALID_LSN = 0n as Lsn;

const UINT32_MAX = 0xffff_ffff;
const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/**
 * Brands a bigint as an LSN after checking it lies in the 64-bit WAL address space, so LSN
 * arithmetic (`toLsn(lsn + 8192n)`) cannot wrap or go negative unnoticed.
 *
 * @throws RangeError when `value` is negative or above `FFFFFFFF/FFFFFFFF`.
 */
export function toLsn(value: bigint): Lsn {
  if (value < 0n || value > MAX_LSN) {
    throw new RangeError(`${value} is outside the WAL address space (0 to 2^64-1)`);
  }
  return value as Lsn;
}

/**
 * Builds an LSN from its two 32-bit halves, the `hi/lo` pair PostgreSQL prints and that the
 * replication protocol and `pg_control` use.
 *
 * @throws RangeError when either half is not an integer in 0..0xFFFFFFFF.
 */
export function lsnFromParts(hi: number, lo: number): Lsn {
  for (const [label, part] of [
    ['high', hi],
    ['low', lo],
  ] as const) {
    if (!Number.isInteger(part) || part < 0 || part > UINT32_MAX) {
      throw new RangeError(`the ${label} half of an LSN must be a 32-bit unsigned integer`);
    }
  }
  return ((BigInt(hi) << 32n) | BigInt(lo)) as Lsn;
}

/** The two 32-bit halves of an LSN, as PostgreSQL prints them (`hi/lo`). */
export function lsnParts(lsn: Lsn): { readonly hi: number; readonly lo: number } {
  return { hi: Number(lsn >> 32n), lo: Number(lsn & 0xffff_ffffn) };
}

/**
 * Parses PostgreSQL's text form of an LSN, `16/B374D848`: two hexadecimal numbers of one to
 * eight digits each, separated by a slash. Either letter case is accepted (the `pg_lsn` input
 * function accepts both) and zero padding is allowed, but nothing else: no spaces, no sign, no
 * `0x`, no digits beyond 32 bits. Strict so that a typo in `--target-lsn` or a corrupt backup
 * label is reported instead of being read as some other location.
 *
 * @throws WalFormatError when `text` is not of that form.
 */
export function parseLsn(text: string): Lsn {
  const match = LSN_PATTERN.exec(text);
  if (match === null) {
    throw new WalFormatError(
      `'${text}' is not a WAL location (two hexadecimal numbers of up to 8 digits, like 16/B374D848)`,
    );
  }
  return lsnFromParts(Number.parseInt(match[1]!, 16), Number.parseInt(match[2]!, 16));
}

/**
 * Formats an LSN the way PostgreSQL prints it (`%X/%X`): uppercase hexadecimal halves without
 * leading zeros, e.g. `0/1000028`, so that what barkeep writes (backup.info, messages) matches
 * what the server shows for the same location.
 */
export function formatLsn(lsn: Lsn): string {
  const { hi, lo } = lsnParts(lsn);
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

/** Orders two LSNs for `Array.prototype.sort`: negative, zero or positive like `a - b`. */
export function compareLsn(a: Lsn, b: Lsn): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The later of two LSNs. */
export function maxLsn(a: Lsn, b: Lsn): Lsn {
  return a >= b ? a : b;
}

/** The earlier of two LSNs. */
export function minLsn(a: Lsn, b: Lsn): Lsn {
  return a <= b ? a : b;
}
