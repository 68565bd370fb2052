import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decompressBuffer } from '../../src/compression/compress-buffer.ts';
import { compressFile } from '../../src/compression/compress-file.ts';
import { loadZstdBinding } from '../../src/compression/native-codecs.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { walLikeData } from './compression-fixtures.ts';

describe('compressFile', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'barkeep-compress-file-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('writes one zstd frame that records the content size, so a reader allocates once', async () => {
    const data = walLikeData(3 * 1024 * 1024 + 123);
    const source = join(scratch, 'source');
    writeFileSync(source, data);
    const target = join(scratch, 'source.zst');
    const written = await compressFile('zstd', source, target, 1);
    const frame = readFileSync(target);
    assert.equal(written, frame.length);
    const binding = await loadZstdBinding();
    assert.equal(binding.getFrameContentSize(frame), data.length);
    assert.deepEqual(await decompressBuffer(frame), data);
  });

  const sysfs = '/sys/devices/system/cpu/online';
  it('refuses, naming the file, a source whose content differs from its size', {
    skip: existsSync(sysfs) ? false : `${sysfs} is not there`,
  }, async () => {
    // A sysfs file claims 4096 bytes and holds a few: as a segment that shrank while it was read.
    await assert.rejects(compressFile('zstd', sysfs, join(scratch, 'online.zst')), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.subject, sysfs);
      assert.match(error.why, /changed while it was read \(it had 4096 bytes at the start\)/);
      return true;
    });
  });

  it('compresses a pipe, whose size is not known in advance', async () => {
    const fifo = join(scratch, 'pipe');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    spawn('sh', ['-c', `head -c 2097152 /dev/zero > ${fifo}`]);
    const target = join(scratch, 'pipe.zst');
    await compressFile('zstd', fifo, target);
    assert.deepEqual(await decompressBuffer(readFileSync(target)), Buffer.alloc(2097152));
  });
});
