import { WalFormatError } from './wal-format-error.ts';

/**
 * The size of a WAL segment file in bytes (`wal_segment_size`, chosen at initdb with
 * `--wal-segsize`): a power of two from 1 MiB to 1 GiB. Every segment computation depends on it,
 * since segment numbers and the log/seg split of file names do; branded so a validated size
 * cannot be confused with any other byte count.
 */
export type WalSegmentSize = number & { readonly __brand: 'WalSegmentSize' };

/** The smallest segment size PostgreSQL accepts, 1 MiB (`WalSegMinSize`). */
export const MIN_WAL_SEGMENT_SIZE = (1024 * 1024) as WalSegmentSize;

/** The largest segment size PostgreSQL accepts, 1 GiB (`WalSegMaxSize`). */
export const MAX_WAL_SEGMENT_SIZE = (1024 * 1024 * 1024) as WalSegmentSize;

/** The default segment size, 16 MiB (`DEFAULT_XLOG_SEG_SIZE`). */
export const DEFAULT_WAL_SEGMENT_SIZE = (16 * 1024 * 1024) as WalSegmentSize;

/**
 * True when `bytes` is a segment size PostgreSQL can have (its `IsValidWalSegSize`): a power of
 * two between 1 MiB and 1 GiB.
 */
export function isValidWalSegmentSize(bytes: number): bytes is WalSegmentSize {
  return (
    Number.isInteger(bytes) &&
    bytes >= MIN_WAL_SEGMENT_SIZE &&
    bytes <= MAX_WAL_SEGMENT_SIZE &&
    (bytes & (bytes - 1)) === 0
  );
}

/**
 * Brands a byte count as a segment size after checking it, for sizes read from the server
 * (`SHOW wal_segment_size`), a WAL page header or the catalog.
 *
 * @throws WalFormatError when `bytes` is not a power of two between 1 MiB and 1 GiB.
 */
export function toWalSegmentSize(bytes: number): WalSegmentSize {
  if (!isValidWalSegmentSize(bytes)) {
    throw new WalFormatError(`segment size ${bytes} is not a power of two between 1 MiB and 1 GiB`);
  }
  return bytes;
}

/** Every valid segment size, smallest first (1 MiB, 2 MiB, ... 1 GiB). */
export function allWalSegmentSizes(): WalSegmentSize[] {
  const sizes: WalSegmentSize[] = [];
  for (let size = MIN_WAL_SEGMENT_SIZE as number; size <= MAX_WAL_SEGMENT_SIZE; size *= 2) {
    sizes.push(size as WalSegmentSize);
  }
  return sizes;
}

/** A segment size for messages, `16 MiB` or `1 GiB`. */
export function describeWalSegmentSize(size: WalSegmentSize): string {
  return size >= MAX_WAL_SEGMENT_SIZE
    ? `${size / MAX_WAL_SEGMENT_SIZE} GiB`
    : `${size / MIN_WAL_SEGMENT_SIZE} MiB`;
}
