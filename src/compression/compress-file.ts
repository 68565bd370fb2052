/**
 * File-to-file compression for the WAL hot path: one segment read in chunks into one reused
 * buffer and written as it is compressed, so a short-lived put-wal process never touches 16 MiB
 * of fresh memory (most of its cost, measured in bench/README.md). zstd runs through the
 * binding's `compressStream2` synchronously, with no stream machinery; the other formats go
 * through the Transform streams of compress-stream.ts. The output is what compressBuffer
 * writes for each format: one zstd frame with a checksum, a gzip member, LZ4 frames.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { WalCompression } from './compression-format.ts';
import { resolveLevel } from './compression-levels.ts';
import { loadZstdBinding } from './native-codecs.ts';

/** Input chunk: large enough for few system calls, small enough to stay in the cache. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Compresses the file `source` as `format` into the new file `target` (created exclusively,
 * mode 0600) and fsyncs it; returns the size written. `'none'` is a plain chunked copy.
 */
export async function compressFile(
  format: Exclude<WalCompression, 'none'>,
  source: string,
  target: string,
  level?: number,
): Promise<number> {
  if (format === 'zstd') {
    const input = await open(source, 'r');
    try {
      const output = await open(target, 'wx', 0o600);
      try {
        const written = await zstdChunks(input, output, source, resolveLevel('zstd', level));
        await output.sync();
        return written;
      } finally {
        await output.close();
      }
    } finally {
      await input.close();
    }
  }
  // Loaded here: it brings node:zlib, which put-wal with zstd (the path above) does not need.
  const { createCompressStream } = await import('./compress-stream.ts');
  await pipeline(
    createReadStream(source, { highWaterMark: CHUNK_BYTES }),
    await createCompressStream(format, level),
    createWriteStream(target, { flags: 'wx', mode: 0o600, highWaterMark: CHUNK_BYTES }),
  );
  const output = await open(target, 'r+');
  try {
    await output.sync();
    return (await output.stat()).size;
  } finally {
    await output.close();
  }
}

/** One zstd frame (level, checksum) of everything `input` holds, written to `output`. */
async function zstdChunks(
  input: FileHandle,
  output: FileHandle,
  source: string,
  level: number | undefined,
): Promise<number> {
  const binding = await loadZstdBinding();
  const context = new binding.CCtx();
  if (level !== undefined) context.setParameter(binding.CParameter.compressionLevel, level);
  context.setParameter(binding.CParameter.checksumFlag, 1);
  // The frame records the content size, so that a reader allocates the whole segment at once
  // instead of decoding into chunks and concatenating them (get-wal, recover).
  // (A size of 0 is a pipe or a /proc file, whose content is not known in advance.)
  const { size } = await input.stat();
  if (size > 0) context.setPledgedSrcSize(size);
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  // As large as the input chunk: one write per chunk at most, in the common case.
  const out = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, binding.cStreamOutSize()));
  let written = 0;
  const flush = async (bytes: number) => {
    if (bytes === 0) return;
    await output.write(out, 0, bytes);
    written += bytes;
  };
  let total = 0;
  for (;;) {
    // Read to the end (a pipe delivers less than asked before its end), then end the frame.
    const { bytesRead } = await input.read(chunk, 0, CHUNK_BYTES, null);
    total += bytesRead;
    const last = bytesRead === 0;
    // The frame header promised `size` bytes: a file that grew or shrank is refused.
    if (size > 0 && (total > size || (last && total !== size))) throw fileChanged(source, size);
    let rest = chunk.subarray(0, bytesRead);
    const directive = last ? binding.EndDirective.end : binding.EndDirective.continue;
    for (;;) {
      const [remaining, produced, consumed] = context.compressStream2(out, rest, directive);
      rest = rest.subarray(consumed);
      await flush(produced);
      if (last ? remaining === 0 : rest.length === 0) break;
    }
    if (last) return written;
  }
}

/** The file's size when compression started differs from what it delivered: it changed. */
function fileChanged(source: string, size: number): BarkeepError {
  return new BarkeepError('io', {
    what: 'cannot compress',
    subject: source,
    why: `the file changed while it was read (it had ${size} bytes at the start)`,
  });
}
