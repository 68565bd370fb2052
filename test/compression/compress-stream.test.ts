import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { compressBuffer, decompressBuffer } from '../../src/compression/compress-buffer.ts';
import {
  createCompressStream,
  createDecompressStream,
} from '../../src/compression/compress-stream.ts';
import type { WalCompression } from '../../src/compression/compression-format.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { hasTool, runTool, walLikeData } from './compression-fixtures.ts';

const formats: WalCompression[] = ['gzip', 'zstd', 'lz4', 'none'];
const data = walLikeData(10 * 1024 * 1024 + 12345, 11);

/** `buffer` cut into pieces of the given sizes, cycling through them. */
function* pieces(buffer: Buffer, sizes: number[]): Generator<Buffer> {
  let offset = 0;
  for (let index = 0; offset < buffer.length; index++) {
    const size = sizes[index % sizes.length]!;
    yield buffer.subarray(offset, offset + size);
    offset += size;
  }
}

async function collect(
  source: Iterable<Buffer>,
  ...transforms: NodeJS.ReadWriteStream[]
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await pipeline([Readable.from(source), ...transforms, sink]);
  return Buffer.concat(chunks);
}

describe('createCompressStream and createDecompressStream', () => {
  for (const format of formats) {
    it(`round-trips ${format} with chunks of any size`, async () => {
      const stored = await collect(pieces(data, [65536]), await createCompressStream(format));
      assert.ok((await decompressBuffer(stored)).equals(data), 'buffer API reads stream output');
      const restored = await collect(
        pieces(stored, [1, 7, 4096, 100003]),
        await createDecompressStream(format),
      );
      assert.ok(restored.equals(data));
    });

    it(`round-trips empty input as ${format}`, async () => {
      const stored = await collect([], await createCompressStream(format));
      assert.equal((await collect([stored], await createDecompressStream(format))).length, 0);
    });
  }

  it('reads what the buffer API writes', async () => {
    for (const format of formats) {
      const stored = await compressBuffer(format, data);
      const restored = await collect(pieces(stored, [65536]), await createDecompressStream(format));
      assert.ok(restored.equals(data), format);
    }
  });

  it('writes LZ4 as several 4 MiB frames that lz4 reads as one stream', async (t) => {
    const stored = await collect(pieces(data, [65536]), await createCompressStream('lz4'));
    const magic = Buffer.from([0x04, 0x22, 0x4d, 0x18]);
    let frames = 0;
    for (let at = stored.indexOf(magic); at !== -1; at = stored.indexOf(magic, at + 1)) frames++;
    assert.ok(frames >= 3, `${frames} frames`);
    const output = runTool('lz4', ['-d', '-c', '-q'], stored);
    if (output === undefined) return t.skip('lz4 is not installed');
    assert.ok(output.equals(data));
  });

  it('decodes a single-frame lz4 file block by block', {
    skip: hasTool('lz4') ? false : 'lz4 is not installed',
  }, async () => {
    const stored = runTool('lz4', ['-c', '-q', '-B7'], data)!;
    const restored = await collect(pieces(stored, [1000]), await createDecompressStream('lz4'));
    assert.ok(restored.equals(data));
  });

  it('compresses zstd at a chosen level and gzip at a chosen level', async () => {
    for (const [format, level] of [
      ['zstd', 9],
      ['gzip', 1],
    ] as const) {
      const stored = await collect([data], await createCompressStream(format, level));
      assert.ok((await decompressBuffer(stored)).equals(data), `${format} ${level}`);
    }
  });
});

describe('decompression stream errors', () => {
  for (const format of ['gzip', 'zstd', 'lz4'] as const) {
    it(`fails with corruptArchive on truncated ${format}`, async () => {
      const stored = await compressBuffer(format, data);
      const cut = stored.subarray(0, stored.length - 3);
      const stream = await createDecompressStream(format, {
        source: 'base/20250101T000000/base.tar',
      });
      await assert.rejects(collect(pieces(cut, [65536]), stream), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'corruptArchive'), String(error));
        assert.equal(error.subject, 'base/20250101T000000/base.tar');
        assert.equal(error.what, `cannot decompress ${format} data`);
        return true;
      });
    });
  }

  it('refuses formats it cannot read, naming them', async () => {
    for (const format of ['bzip2', 'xz', 'snappy'] as const) {
      await assert.rejects(createDecompressStream(format, { source: 'x' }), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'unsupportedCompression'));
        assert.match(error.why, new RegExp(format));
        return true;
      });
    }
  });

  it('keeps errors that come from elsewhere in the pipeline', async () => {
    const stream = await createDecompressStream('gzip');
    const diskFull = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const seen = new Promise((resolve) => stream.once('error', resolve));
    stream.destroy(diskFull);
    assert.equal(await seen, diskFull);
  });
});

describe('createCompressStream with zstd worker threads', () => {
  it('writes one standard frame that decodes to the input, with a checksum', async () => {
    const data = walLikeData(6 * 1024 * 1024, 9);
    const parts: Buffer[] = [];
    await pipeline(
      Readable.from([data.subarray(0, 1_000_000), data.subarray(1_000_000)]),
      await createCompressStream('zstd', 1, 2),
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          parts.push(chunk);
          done();
        },
      }),
    );
    const frame = Buffer.concat(parts);
    assert.equal(frame.readUInt32LE(0), 0xfd2fb528);
    assert.ok((frame[4]! & 0x04) !== 0, 'content checksum flag');
    assert.deepEqual(await decompressBuffer(frame), data);
  });
});
