import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decompressBuffer } from '../../src/compression/compress-buffer.ts';
import { ZstdFileWriter } from '../../src/compression/zstd-file-writer.ts';
import { BarkeepError } from '../../src/errors/barkeep-error.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-zstd-file-writer-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Data that compresses a little (a counter) and some that does not (random), 3 MiB in all. */
function sample(): Buffer {
  const counted = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < counted.length; i += 4) counted.writeUInt32LE(i, i);
  const random = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < random.length; i++) random[i] = (Math.random() * 256) | 0;
  return Buffer.concat([counted, random]);
}

describe('ZstdFileWriter', () => {
  it('writes one zstd frame of everything fed, while each chunk is overwritten after the call', async () => {
    const data = sample();
    const path = join(scratch, 'base.tar.zst');
    const writer = await ZstdFileWriter.open(path, 1);
    // One buffer reused for every chunk, as the receive buffer is: zstd must have kept a copy.
    const chunk = Buffer.alloc(65_536 + 7);
    for (let at = 0; at < data.length; at += chunk.length) {
      const length = data.copy(chunk, 0, at, Math.min(data.length, at + chunk.length));
      writer.writeNow(chunk.subarray(0, length));
      chunk.fill(0xee);
    }
    await writer.end();
    const stored = readFileSync(path);
    assert.equal(stored.readUInt32LE(0), 0xfd2fb528, 'not a zstd frame');
    assert.ok(stored.length < data.length);
    assert.equal(Buffer.compare(await decompressBuffer(stored), data), 0);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('writes what the zstd command line reads and checks (a frame with its checksum)', async (t) => {
    if (spawnSync('zstd', ['--version']).status !== 0) {
      t.skip('the zstd command is not installed (apt-get install zstd)');
      return;
    }
    const data = sample();
    const path = join(scratch, 'cli.tar.zst');
    const writer = await ZstdFileWriter.open(path, 3, 2);
    writer.writeNow(data);
    await writer.end();
    const result = spawnSync('zstd', ['-d', '-c', '-q', path], { maxBuffer: 8 * 1024 * 1024 });
    assert.equal(result.status, 0, String(result.stderr));
    assert.equal(Buffer.compare(result.stdout, data), 0);
    const listed = spawnSync('zstd', ['-lv', path], { encoding: 'utf8' });
    assert.match(listed.stdout, /Check: XXH64/);
  });

  it('names the file it cannot create', async () => {
    const directory = join(scratch, 'missing');
    await assert.rejects(
      ZstdFileWriter.open(join(directory, 'base.tar.zst')),
      (error: unknown) =>
        error instanceof BarkeepError &&
        error.kind === 'io' &&
        error.message.includes(join(directory, 'base.tar.zst')),
    );
  });
});
