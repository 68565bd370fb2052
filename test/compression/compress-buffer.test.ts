import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import {
  compressBuffer,
  decompressBuffer,
  decompressBufferAs,
} from '../../src/compression/compress-buffer.ts';
import {
  detectCompression,
  type WalCompression,
} from '../../src/compression/compression-format.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { useCluster } from '../support/cluster.ts';
import { completedSegment, runTool, walLikeData } from './compression-fixtures.ts';

const formats: WalCompression[] = ['gzip', 'zstd', 'lz4', 'none'];

describe('compressBuffer and decompressBuffer on a real WAL segment', () => {
  const handle = useCluster({ label: 'compression' });
  let segment: Buffer;
  before(async () => {
    segment = await completedSegment(handle.cluster);
  });

  for (const format of formats) {
    it(`round-trips ${format}`, async () => {
      assert.equal(segment.length, 16 * 1024 * 1024);
      const stored = await compressBuffer(format, segment);
      assert.equal(detectCompression(stored), format);
      if (format !== 'none') assert.ok(stored.length < segment.length / 2, `${format} compresses`);
      assert.ok((await decompressBuffer(stored, { source: 'segment' })).equals(segment));
    });
  }

  it('round-trips explicit levels', async () => {
    for (const [format, level] of [
      ['gzip', 1],
      ['gzip', 9],
      ['zstd', -5],
      ['zstd', 19],
    ] as const) {
      const stored = await compressBuffer(format, segment, level);
      assert.ok((await decompressBuffer(stored)).equals(segment), `${format} ${level}`);
    }
  });

  it('writes output the command-line tools read', async (t) => {
    let ran = 0;
    for (const [format, command] of [
      ['gzip', 'gzip'],
      ['zstd', 'zstd'],
      ['lz4', 'lz4'],
    ] as const) {
      const output = runTool(command, ['-d', '-c'], await compressBuffer(format, segment));
      if (output === undefined) continue;
      assert.ok(output.equals(segment), command);
      ran++;
    }
    if (ran === 0) t.skip('gzip, zstd and lz4 are not installed');
  });
});

describe('compressBuffer details', () => {
  const data = walLikeData(1024 * 1024);

  it('passes uncompressed data through without copying', async () => {
    assert.equal(await compressBuffer('none', data), data);
    assert.equal(await decompressBuffer(data), data);
  });

  it('round-trips empty input in every format', async () => {
    for (const format of formats) {
      const stored = await compressBuffer(format, Buffer.alloc(0));
      assert.equal((await decompressBuffer(stored)).length, 0, format);
    }
  });

  it('writes zstd frames with the content size and a checksum', async () => {
    const frame = await compressBuffer('zstd', data);
    const descriptor = frame[4]!;
    assert.notEqual(descriptor & 0xc0, 0, 'frame content size field present');
    assert.equal(descriptor & 0x04, 0x04, 'content checksum flag');
  });

  it('accepts Uint8Array input', async () => {
    const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (const format of formats) {
      assert.ok((await decompressBuffer(await compressBuffer(format, view))).equals(data), format);
    }
  });

  it('refuses levels outside the format range', async () => {
    for (const [format, level] of [
      ['gzip', 0],
      ['gzip', 10],
      ['gzip', 1.5],
      ['zstd', 23],
    ] as const) {
      await assert.rejects(compressBuffer(format, data, level), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'configInvalidValue'));
        assert.equal(error.subject, String(level));
        assert.match(error.why, new RegExp(`^${format} levels are`));
        return true;
      });
    }
  });

  it('loads the native modules only when a format needs them', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { compressBuffer, decompressBuffer } = await import(${JSON.stringify(new URL('../../src/compression/compress-buffer.ts', import.meta.url).href)});
      await decompressBuffer(await compressBuffer('gzip', Buffer.alloc(1000)));
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((p) => /zstd-napi|lz4-napi/.test(p)).length;
      const before = loaded();
      await compressBuffer('zstd', Buffer.alloc(1000));
      console.log(before, loaded() > 0);`;
    const result = spawnSync(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]);
    assert.equal(result.status, 0, String(result.stderr));
    assert.equal(result.stdout.toString().trim(), '0 true');
  });

  it('ignores a level for lz4, which has one mode', async () => {
    const stored = await compressBuffer('lz4', data, 9);
    assert.ok((await decompressBuffer(stored)).equals(data));
  });
});

describe('decompressBuffer errors', () => {
  const data = walLikeData(512 * 1024, 7);

  for (const format of ['gzip', 'zstd', 'lz4'] as const) {
    it(`names truncated ${format} data`, async () => {
      const stored = await compressBuffer(format, data);
      for (const cut of [stored.length - 1, stored.length - 5, Math.floor(stored.length / 2), 12]) {
        await assert.rejects(
          decompressBuffer(stored.subarray(0, cut), { source: '/wals/0000000100000000/X' }),
          (error: unknown) => {
            assert.ok(isBarkeepError(error, 'corruptArchive'), `${format} cut at ${cut}`);
            assert.equal(error.what, `cannot decompress ${format} data`);
            assert.equal(error.subject, '/wals/0000000100000000/X');
            return true;
          },
        );
      }
    });

    it(`names corrupt ${format} data`, async () => {
      const stored = Buffer.from(await compressBuffer(format, data));
      stored[Math.floor(stored.length / 2)]! ^= 0x55;
      stored[Math.floor(stored.length / 3)]! ^= 0xaa;
      await assert.rejects(decompressBuffer(stored), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'corruptArchive'), format);
        assert.equal(error.subject, 'data in memory');
        return true;
      });
    });
  }

  it('names the formats it recognises but cannot read', async () => {
    const samples: [string, Buffer][] = [
      ['bzip2', Buffer.from('BZh91AY&SY')],
      ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04])],
      ['snappy', Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59])],
    ];
    for (const [format, sample] of samples) {
      await assert.rejects(decompressBuffer(sample, { source: 'f' }), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'unsupportedCompression'), format);
        assert.equal(error.subject, 'f');
        assert.match(error.why, new RegExp(`^it is ${format}-compressed`));
        return true;
      });
    }
  });

  it('checks the expected format in decompressBufferAs', async () => {
    const gzipped = await compressBuffer('gzip', data);
    assert.ok((await decompressBufferAs('gzip', gzipped)).equals(data));
    await assert.rejects(decompressBufferAs('zstd', gzipped), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'corruptArchive'));
      assert.equal(error.why, 'the data starts like gzip, not like zstd');
      return true;
    });
    await assert.rejects(decompressBufferAs('lz4', data), /starts like no known compression/);
  });
});

describe('zstd frames without a content size (as Barman and streaming writers make them)', () => {
  /** One frame of `data` compressed as a stream: its header has no content size. */
  async function unsizedFrame(data: Buffer): Promise<Buffer> {
    const { loadZstdBinding } = await import('../../src/compression/native-codecs.ts');
    const binding = await loadZstdBinding();
    const context = new binding.CCtx();
    const out = Buffer.alloc(binding.compressBound(data.length) + 1024);
    // Given in a first call that does not end the frame, the size is never known to zstd.
    let filled = 0;
    let rest = data;
    while (rest.length > 0) {
      const [, produced, consumed] = context.compressStream2(
        out.subarray(filled),
        rest,
        binding.EndDirective.continue,
      );
      filled += produced;
      rest = rest.subarray(consumed);
    }
    for (;;) {
      const [remaining, produced] = context.compressStream2(
        out.subarray(filled),
        Buffer.alloc(0),
        binding.EndDirective.end,
      );
      filled += produced;
      if (remaining === 0) break;
    }
    const frame = out.subarray(0, filled);
    assert.equal(binding.getFrameContentSize(frame), null);
    return frame;
  }

  it('decodes a frame larger than the first output buffer (it grows)', async () => {
    const data = Buffer.alloc(40 * 1024 * 1024, 7); // 40 MiB of one byte: a tiny frame
    data.write('end', data.length - 3);
    assert.deepEqual(await decompressBuffer(await unsizedFrame(data)), data);
  });

  it('decodes a frame whose output fills the first buffer exactly (a 16 MiB segment)', async () => {
    // Compresses far below 2 MiB, so the first buffer is exactly 16 MiB: the decoder is done
    // with the frame and the output full at the same time.
    const data = Buffer.alloc(16 * 1024 * 1024);
    data.write('segment', 0);
    assert.deepEqual(await decompressBuffer(await unsizedFrame(data)), data);
    const zeros = Buffer.alloc(64 * 1024 * 1024); // lands on a doubled size
    assert.deepEqual(await decompressBuffer(await unsizedFrame(zeros)), zeros);
  });

  it('decodes concatenated frames, sized and not', async () => {
    const first = walLikeData(1024 * 1024, 3);
    const second = walLikeData(2 * 1024 * 1024, 4);
    const joined = Buffer.concat([await unsizedFrame(first), await compressBuffer('zstd', second)]);
    assert.deepEqual(await decompressBuffer(joined), Buffer.concat([first, second]));
  });

  it('refuses a frame cut short, naming the file', async () => {
    const frame = await unsizedFrame(walLikeData(1024 * 1024, 5));
    await assert.rejects(
      decompressBuffer(frame.subarray(0, frame.length - 10), { source: '/x/seg' }),
      (error) => isBarkeepError(error, 'corruptArchive') && error.subject === '/x/seg',
    );
  });
});
