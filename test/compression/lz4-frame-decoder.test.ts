import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { compressBuffer } from '../../src/compression/compress-buffer.ts';
import { Lz4FrameDecoder } from '../../src/compression/lz4-frame-decoder.ts';
import { loadLz4 } from '../../src/compression/native-codecs.ts';
import { XxHash32, xxhash32 } from '../../src/compression/xxhash32.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { hasTool, runTool, walLikeData } from './compression-fixtures.ts';

const lz4 = await loadLz4();
const sample = walLikeData(300 * 1024, 21);

function decode(input: Buffer, chunk = input.length || 1): Buffer {
  const decoder = new Lz4FrameDecoder(lz4, 'sample.lz4');
  const parts: Buffer[] = [];
  for (let offset = 0; offset < input.length; offset += chunk) {
    parts.push(...decoder.push(input.subarray(offset, offset + chunk)));
  }
  decoder.finish();
  return Buffer.concat(parts);
}

/** A frame header with the given flag and block-descriptor bytes and a valid checksum. */
function header(flags: number, blockDescriptor: number, extra: number[] = []): Buffer {
  const descriptor = Buffer.from([flags, blockDescriptor, ...extra]);
  const checksum = (xxhash32(descriptor) >>> 8) & 0xff;
  return Buffer.concat([
    Buffer.from([0x04, 0x22, 0x4d, 0x18]),
    descriptor,
    Buffer.from([checksum]),
  ]);
}

function rejects(
  input: Buffer,
  kind: 'corruptArchive' | 'unsupportedCompression',
  why: RegExp,
): void {
  assert.throws(
    () => decode(input),
    (error: unknown) => {
      assert.ok(isBarkeepError(error, kind), String(error));
      assert.equal(error.subject, 'sample.lz4');
      assert.match(error.why, why);
      return true;
    },
  );
}

describe('Lz4FrameDecoder', () => {
  it('decodes fed one byte at a time', async () => {
    const frame = await compressBuffer('lz4', sample.subarray(0, 20000));
    assert.ok(decode(frame, 1).equals(sample.subarray(0, 20000)));
  });

  it('copies stored (incompressible) blocks', {
    skip: hasTool('lz4') ? false : 'lz4 is not installed',
  }, () => {
    const random = randomBytes(200 * 1024);
    const frame = runTool('lz4', ['-c', '-q', '-B4'], random)!;
    assert.ok(decode(frame, 5000).equals(random));
  });

  it('accepts an empty frame', () => {
    const empty = Buffer.concat([header(0x60, 0x40), Buffer.alloc(4)]);
    assert.equal(decode(empty).length, 0);
  });

  it('refuses input that ends inside a frame or holds none', async () => {
    const frame = await compressBuffer('lz4', sample);
    rejects(
      frame.subarray(0, frame.length - 4),
      'corruptArchive',
      /ends in the middle of an LZ4 frame/,
    );
    rejects(frame.subarray(0, 6), 'corruptArchive', /ends in the middle/);
    rejects(Buffer.alloc(0), 'corruptArchive', /holds no LZ4 frame/);
  });

  it('checks the header checksum, version and reserved bits', () => {
    const good = Buffer.concat([header(0x60, 0x40), Buffer.alloc(4)]);
    const badChecksum = Buffer.from(good);
    badChecksum[6]! ^= 0xff;
    rejects(badChecksum, 'corruptArchive', /header checksum does not match/);
    rejects(
      Buffer.concat([header(0xa0, 0x40), Buffer.alloc(4)]),
      'corruptArchive',
      /unknown version/,
    );
    rejects(
      Buffer.concat([header(0x62, 0x40), Buffer.alloc(4)]),
      'corruptArchive',
      /reserved bits/,
    );
    rejects(
      Buffer.concat([header(0x60, 0x30), Buffer.alloc(4)]),
      'corruptArchive',
      /invalid block size/,
    );
  });

  it('refuses a block larger than the frame allows', () => {
    const size = Buffer.alloc(4);
    size.writeUInt32LE((70000 | 0x80000000) >>> 0);
    rejects(Buffer.concat([header(0x60, 0x40), size]), 'corruptArchive', /claims 70000 bytes/);
  });

  it('checks the content size in the header', () => {
    const block = Buffer.from('abc');
    const size = Buffer.alloc(4);
    size.writeUInt32LE((block.length | 0x80000000) >>> 0);
    const declared = [5, 0, 0, 0, 0, 0, 0, 0];
    const frame = Buffer.concat([header(0x68, 0x40, declared), size, block, Buffer.alloc(4)]);
    rejects(frame, 'corruptArchive', /holds 3 bytes but its header says 5/);
  });

  it('checks the content checksum', async () => {
    const frame = Buffer.from(await compressBuffer('lz4', sample));
    frame[frame.length - 1]! ^= 0x01;
    rejects(frame, 'corruptArchive', /content checksum does not match/);
  });

  it('refuses data after a frame that is not a frame', async () => {
    const frame = await compressBuffer('lz4', sample);
    rejects(
      Buffer.concat([frame, Buffer.from('garbage!')]),
      'corruptArchive',
      /data after a frame/,
    );
  });

  it('names legacy LZ4 and dictionaries as unsupported', () => {
    rejects(
      Buffer.from([0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0]),
      'unsupportedCompression',
      /legacy LZ4/,
    );
    const withDictionary = Buffer.concat([header(0x61, 0x40, [1, 2, 3, 4]), Buffer.alloc(4)]);
    rejects(withDictionary, 'unsupportedCompression', /preset dictionary/);
  });
});

describe('xxhash32', () => {
  it('matches the reference values', () => {
    assert.equal(xxhash32(Buffer.alloc(0)), 0x02cc5d05);
    assert.equal(xxhash32(Buffer.from('a')), 0x550d7456);
    assert.equal(xxhash32(Buffer.from('abc')), 0x32d153ff);
    assert.equal(xxhash32(Buffer.from('Nobody inspects the spammish repetition')), 0xe2293b2f);
  });

  it('gives the same hash incrementally, aligned or not', () => {
    const whole = xxhash32(sample);
    for (const step of [1, 3, 16, 17, 4096]) {
      const hash = new XxHash32();
      for (let offset = 0; offset < sample.length; offset += step)
        hash.update(sample.subarray(offset, offset + step));
      assert.equal(hash.digest(), whole, `step ${step}`);
    }
    const unaligned = Buffer.concat([Buffer.alloc(1), sample]).subarray(1);
    assert.equal(xxhash32(unaligned), whole);
  });
});
