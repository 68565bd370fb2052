/**
 * Streaming compression for base backups and other large files: Node Transform streams with
 * bounded memory, producing and reading the same formats as the buffer functions (a gzip
 * member, zstd frames, LZ4 frames). Errors while decoding surface as BarkeepErrors of kind
 * `corruptArchive` that name the format and the source, whatever library raised them.
 */
import { PassThrough, type Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import { corruptData, defaultSource, unsupportedFormat } from './compression-errors.ts';
import type { DetectedCompression, WalCompression } from './compression-format.ts';
import { resolveLevel } from './compression-levels.ts';
import { Lz4CompressStream, Lz4DecompressStream } from './lz4-streams.ts';
import { loadLz4, loadZstd } from './native-codecs.ts';

/** Options of `createDecompressStream`. */
export interface DecompressStreamOptions {
  /** The file being read, named in errors; default: "data in memory". */
  readonly source?: string;
}

/**
 * A Transform that compresses its input as `format` at `level` (default per format); `'none'`
 * is a PassThrough. Async because the native modules are loaded on first use. LZ4 output is a
 * sequence of 4 MiB frames (see lz4-streams.ts); zstd output is one frame with a checksum.
 * With `workers` > 0, zstd compresses in that many threads of its own (libzstd's nbWorkers), so
 * the event loop only hands data over and goes on reading the socket: one worker already makes
 * receiving and compressing a pipeline. The output is a standard frame either way.
 */
export async function createCompressStream(
  format: WalCompression,
  level?: number,
  workers = 0,
): Promise<Transform> {
  const resolved = resolveLevel(format, level);
  switch (format) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGzip({ level: resolved });
    case 'zstd': {
      const zstd = await loadZstd();
      return new zstd.CompressStream({
        compressionLevel: resolved,
        checksumFlag: true,
        ...(workers > 0 ? { nbWorkers: workers } : {}),
      });
    }
    case 'lz4':
      return new Lz4CompressStream(await loadLz4());
  }
}

/**
 * A Transform that decompresses data known to be in `format` (for instance from a backup's
 * `.tar.gz`/`.tar.zst`/`.tar.lz4` name); `'none'` is a PassThrough. Concatenated gzip members
 * and zstd/LZ4 frames are read as one stream. Input that is damaged or ends inside a frame makes
 * the stream fail with `corruptArchive`; bzip2, xz and snappy are refused with
 * `unsupportedCompression`.
 */
export async function createDecompressStream(
  format: DetectedCompression,
  options: DecompressStreamOptions = {},
): Promise<Transform> {
  const source = options.source ?? defaultSource;
  switch (format) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return mapStreamErrors(createGunzip(), format, source);
    case 'zstd': {
      const zstd = await loadZstd();
      return mapStreamErrors(new zstd.DecompressStream(), format, source);
    }
    case 'lz4':
      return new Lz4DecompressStream(await loadLz4(), source);
    default:
      throw unsupportedFormat(format, source);
  }
}

/**
 * Turns the codec's own errors into `corruptArchive` BarkeepErrors (the library's error kept as
 * cause). A stream reports errors through `destroy(error)`, which hands them to `_destroy`;
 * wrapping that one method covers zlib's and zstd-napi's errors alike without an extra stream
 * in the pipeline. Errors a pipeline passes in from other streams keep their identity.
 */
function mapStreamErrors<T extends Transform>(
  stream: T,
  format: DetectedCompression,
  source: string,
): T {
  const original = stream._destroy.bind(stream);
  stream._destroy = (error, callback) => {
    original(error, (finalError) => {
      if (isCodecError(finalError)) {
        callback(corruptData(format, source, `the ${format} stream does not decode`, finalError));
        return;
      }
      callback(finalError);
    });
  };
  return stream;
}

/**
 * zlib's data errors carry a `Z_*` code and zstd-napi's a bare message; errors of other
 * streams or of the system carry their own code (ENOSPC, ERR_STREAM_PREMATURE_CLOSE, ...).
 */
function isCodecError(error: Error | null | undefined): error is Error {
  if (!(error instanceof Error) || isBarkeepError(error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === undefined || (typeof code === 'string' && code.startsWith('Z_'));
}
