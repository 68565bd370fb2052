import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import {
  ensureDirectory,
  fsyncDirectory,
  writeFileDurable,
} from '../../src/storage/durable-write.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'barkeep-durable-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileDurable', () => {
  it('writes the content with mode 0600 and leaves no temporary file', async () => {
    const path = join(dir, 'backup.info');
    await writeFileDurable(path, 'status=DONE\n');
    assert.equal(await readFile(path, 'utf8'), 'status=DONE\n');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['backup.info']);
  });

  it('replaces an existing file whole', async () => {
    const path = join(dir, 'replace.txt');
    await writeFileDurable(path, 'old');
    await writeFileDurable(path, 'new content', { mode: 0o640 });
    assert.equal(await readFile(path, 'utf8'), 'new content');
    assert.equal((await stat(path)).mode & 0o777, 0o640);
  });

  it('fails with an io error naming the path when the directory is missing', async () => {
    const path = join(dir, 'missing', 'file');
    await assert.rejects(writeFileDurable(path, 'x'), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.subject, path);
      assert.match(error.why, /no such file or directory/);
      return true;
    });
  });

  it('keeps the old content and cleans up when the disk is full', {
    skip: process.getuid?.() !== 0 ? 'mounting a tiny tmpfs needs root (CI runs as root)' : false,
  }, async () => {
    const small = join(dir, 'small');
    await mkdir(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small]);
    try {
      const path = join(small, 'file');
      await writeFileDurable(path, 'precious');
      await assert.rejects(
        writeFileDurable(path, Buffer.alloc(1024 * 1024, 1)),
        (error: unknown) => {
          assert.ok(isBarkeepError(error, 'io'));
          assert.match(error.toLine(), /no space left on the device/);
          assert.match(error.hint, /nothing stored before was changed/);
          return true;
        },
      );
      assert.equal(await readFile(path, 'utf8'), 'precious');
      assert.deepEqual(await readdir(small), ['file']);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});

describe('ensureDirectory', () => {
  it('creates missing parents with the mode and accepts an existing directory', async () => {
    const path = join(dir, 'a', 'b', 'c');
    await ensureDirectory(path);
    assert.equal((await stat(path)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'a'))).mode & 0o777, 0o700);
    await ensureDirectory(path);
  });

  it('reports an io error when a file is in the way', async () => {
    await writeFile(join(dir, 'blocker'), '');
    await assert.rejects(ensureDirectory(join(dir, 'blocker', 'x')), (error: unknown) =>
      isBarkeepError(error, 'io'),
    );
  });
});

describe('fsyncDirectory', () => {
  it('fails with an io error for a missing directory', async () => {
    await assert.rejects(fsyncDirectory(join(dir, 'nope')), /cannot flush directory/);
  });
});
