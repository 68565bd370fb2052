/**
 * The errors the compression layer throws, built in one place so every codec names the format,
 * the data concerned and the cause the same way.
 */
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { DetectedCompression } from './compression-format.ts';

/** What the compression functions call data when the caller did not say which file it is. */
export const defaultSource = 'data in memory';

/**
 * Compressed data that does not decode: a bad header, corrupt content, a failed checksum or a
 * stream cut short. Kind `corruptArchive`.
 */
export function corruptData(
  format: DetectedCompression,
  source: string,
  why: string,
  cause?: unknown,
): BarkeepError {
  return new BarkeepError('corruptArchive', {
    what: `cannot decompress ${format} data`,
    subject: source,
    why: cause === undefined ? why : `${why}: ${causeText(cause)}`,
    cause,
  });
}

/**
 * Data in a format barkeep recognises but cannot decode (Barman's bzip2, xz and snappy), or a
 * format asked for by name that barkeep does not write. Kind `unsupportedCompression`.
 */
export function unsupportedFormat(format: string, source: string): BarkeepError {
  return new BarkeepError('unsupportedCompression', {
    what: 'cannot decompress',
    subject: source,
    why: `it is ${format}-compressed, a format barkeep recognises but does not read`,
  });
}

/** A compression level outside the format's range. Kind `configInvalidValue`. */
export function invalidLevel(
  format: DetectedCompression,
  level: number,
  range: string,
): BarkeepError {
  return new BarkeepError('configInvalidValue', {
    what: 'invalid compression level',
    subject: String(level),
    why: `${format} levels are ${range}`,
  });
}

/** The native addon of a format failed to load (not built, wrong platform). Kind `internal`. */
export function nativeModuleMissing(packageName: string, cause: unknown): BarkeepError {
  return new BarkeepError('internal', {
    what: 'cannot load the compression library',
    subject: packageName,
    why: causeText(cause),
    hint: `Reinstall barkeep with 'npm ci' so that ${packageName} is built for this platform.`,
    cause,
  });
}

/** The message of an error thrown by zlib or a native codec, without a trailing period. */
export function causeText(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.trim().replace(/\.$/, '') || 'unknown error';
}
