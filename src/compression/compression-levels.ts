/**
 * Compression levels: the default of each format and the range barkeep accepts. The defaults
 * were chosen by measuring real 16 MiB WAL segments (bench/compression.mjs; numbers in
 * docs/barman-wal-formats.md): compressing a segment sits on archive_command's path, so speed
 * weighs as much as ratio.
 */
import { invalidLevel } from './compression-errors.ts';
import type { WalCompression } from './compression-format.ts';

/**
 * The level used when none is configured. gzip 6 is zlib's and gzip(1)'s default and Barman's
 * `medium`; zstd 1 compresses WAL as well as zstd 3 or 4 (Barman's `medium`) at about twice
 * their speed; lz4 has a single level in lz4-napi.
 */
export const defaultLevels: Readonly<Record<Exclude<WalCompression, 'none'>, number | undefined>> =
  {
    gzip: 6,
    zstd: 1,
    lz4: undefined,
  };

const zstdMinimumLevel = -131072;
const zstdMaximumLevel = 22;

/**
 * The level to use for `format`: `level` when given and valid, else the default. lz4 returns
 * undefined whatever is asked, since lz4-napi (lz4_flex) only has its fast mode; a configured
 * level for lz4 is accepted and has no effect. Throws `configInvalidValue` for a level outside
 * gzip's 1-9 or zstd's -131072..22 (0 meaning zstd's default), or a non-integer.
 */
export function resolveLevel(format: WalCompression, level?: number): number | undefined {
  if (format === 'none' || format === 'lz4') return undefined;
  if (level === undefined) return defaultLevels[format];
  if (format === 'gzip') {
    if (!Number.isInteger(level) || level < 1 || level > 9)
      throw invalidLevel(format, level, '1 to 9');
    return level;
  }
  if (!Number.isInteger(level) || level < zstdMinimumLevel || level > zstdMaximumLevel) {
    throw invalidLevel(format, level, `${zstdMinimumLevel} to ${zstdMaximumLevel}`);
  }
  return level;
}
