/**
 * Whole-buffer compression for the WAL hot path: one 16 MiB segment per call, one process per
 * segment under archive_command / restore_command, so the lowest latency matters more than
 * streaming. The output of each format is what Barman writes and reads for it: a standard gzip
 * member, a standard zstd frame, an LZ4 frame.
 */
import { corruptData, defaultSource, unsupportedFormat } from './compression-errors.ts';
import {
  type DetectedCompression,
  detectCompression,
  type WalCompression,
} from './compression-format.ts';
import { resolveLevel } from './compression-levels.ts';
import { Lz4FrameDecoder } from './lz4-frame-decoder.ts';
import { loadLz4, loadZstd, loadZstdBinding } from './native-codecs.ts';

/** Options of the decompression functions. */
export interface DecompressOptions {
  /** The file the data came from, named in errors; default: "data in memory". */
  readonly source?: string;
}

/**
 * Compresses `data` as `format` at `level` (default per format, see compression-levels.ts);
 * `'none'` returns the data unchanged. The codecs run synchronously: measured on 16 MiB
 * segments, zlib's and lz4-napi's synchronous calls are faster than their thread-pool variants
 * (gunzip 39 against 75 ms), and the CLI handles one segment per process. A long-running caller
 * that must stay responsive uses the stream functions instead. The promise exists because the
 * native modules are imported on first use. The zstd frame records the content size and a
 * checksum (as the zstd CLI writes it) and the LZ4 frame a content checksum (as the lz4 CLI
 * does), so that corruption is detected when reading; Barman's readers check both.
 */
export async function compressBuffer(
  format: WalCompression,
  data: Uint8Array,
  level?: number,
): Promise<Buffer> {
  const resolved = resolveLevel(format, level);
  switch (format) {
    case 'none':
      return asBuffer(data);
    case 'gzip': {
      // node:zlib is loaded for gzip only: put-wal with zstd or lz4 does not pay for it.
      const { gzipSync } = await import('node:zlib');
      return gzipSync(data, { level: resolved });
    }
    case 'zstd': {
      const zstd = await loadZstd();
      return zstd.compress(data, { compressionLevel: resolved, checksumFlag: true });
    }
    case 'lz4': {
      const lz4 = await loadLz4();
      return lz4.compressFrameSync(asBuffer(data), { contentChecksum: true });
    }
  }
}

/**
 * Decompresses stored data, recognising its format by magic number (`detectCompression`);
 * data with no known magic is returned unchanged, as Barman stores files it does not compress.
 * Throws `corruptArchive` for damaged or truncated data and `unsupportedCompression` for
 * Barman's bzip2, xz and snappy, naming the format.
 */
export async function decompressBuffer(
  data: Uint8Array,
  options: DecompressOptions = {},
): Promise<Buffer> {
  return decompressBufferAs(detectCompression(data), data, options);
}

/**
 * Decompresses `data` known to be in `format` (for example from xlog.db), checking that it
 * really starts with that format's magic number.
 */
export async function decompressBufferAs(
  format: DetectedCompression,
  data: Uint8Array,
  options: DecompressOptions = {},
): Promise<Buffer> {
  const source = options.source ?? defaultSource;
  const found = detectCompression(data);
  if (found !== format) {
    const what = found === 'none' ? 'no known compression' : found;
    throw corruptData(format, source, `the data starts like ${what}, not like ${format}`);
  }
  switch (format) {
    case 'none':
      return asBuffer(data);
    case 'gzip':
      return gunzipBuffer(data, source);
    case 'zstd':
      return unzstdBuffer(data, source);
    case 'lz4':
      return unlz4Buffer(data, source);
    default:
      throw unsupportedFormat(format, source);
  }
}

async function gunzipBuffer(data: Uint8Array, source: string): Promise<Buffer> {
  const { gunzipSync } = await import('node:zlib');
  try {
    return gunzipSync(data);
  } catch (error) {
    throw corruptData('gzip', source, 'the gzip stream does not decode', error);
  }
}

async function unzstdBuffer(data: Uint8Array, source: string): Promise<Buffer> {
  const binding = await loadZstdBinding();
  // Walking the frames first catches a frame cut short (zstd would return what it decoded of a
  // frame with no content size, as Barman writes them) and adds up the sizes they record.
  let rest = data;
  let total: number | undefined = 0;
  try {
    while (rest.length > 0) {
      const content = binding.getFrameContentSize(rest);
      total = content === null || total === undefined ? undefined : total + content;
      rest = rest.subarray(binding.findFrameCompressedSize(rest));
    }
  } catch (error) {
    throw corruptData('zstd', source, 'the zstd frames are incomplete or malformed', error);
  }
  const context = new binding.DCtx();
  try {
    if (total !== undefined) {
      // Every frame records its size (barkeep's do): one allocation, one call.
      const out = Buffer.allocUnsafe(total);
      const produced = context.decompress(out, data);
      if (produced !== total) throw new Error(`${produced} bytes decoded, ${total} recorded`);
      return out;
    }
    return unzstdUnsized(context, data);
  } catch (error) {
    throw corruptData('zstd', source, 'the zstd frame does not decode', error);
  }
}

/**
 * Frames without a content size are decoded into one buffer large enough for a WAL segment,
 * doubled when it fills, so a segment costs one allocation and no concatenation.
 */
function unzstdUnsized(
  context: InstanceType<Awaited<ReturnType<typeof loadZstdBinding>>['DCtx']>,
  data: Uint8Array,
): Buffer {
  let out = Buffer.allocUnsafe(Math.max(data.length * 8, 16 * 1024 * 1024));
  let filled = 0;
  let input = data;
  for (;;) {
    if (filled === out.length) {
      const larger = Buffer.allocUnsafe(out.length * 2);
      out.copy(larger, 0, 0, filled);
      out = larger;
    }
    const [remaining, produced, consumed] = context.decompressStream(out.subarray(filled), input);
    filled += produced;
    input = input.subarray(consumed);
    // Done once every frame is consumed and fully flushed (0), even when the output is exactly
    // full: asking again would make the decoder wait for a frame that never comes.
    if (input.length === 0 && remaining === 0) return out.subarray(0, filled);
    if (produced === 0 && consumed === 0 && filled < out.length)
      throw new Error('the decoder made no progress');
  }
}

async function unlz4Buffer(data: Uint8Array, source: string): Promise<Buffer> {
  const decoder = new Lz4FrameDecoder(await loadLz4(), source);
  const parts = decoder.push(asBuffer(data));
  decoder.finish();
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
