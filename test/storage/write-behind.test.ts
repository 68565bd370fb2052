import assert from 'node:assert/strict';
import {
  fdatasync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BarkeepError } from '../../src/errors/barkeep-error.ts';
import { type FlushFunction, WriteBehind } from '../../src/storage/write-behind.ts';

const MiB = 1024 * 1024;
const scratch = mkdtempSync(join(tmpdir(), 'barkeep-write-behind-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A flush that records its descriptor and finishes only when told to. */
function heldFlushes() {
  const pending: { fd: number; finish: (error?: NodeJS.ErrnoException) => void }[] = [];
  const flush: FlushFunction = (fd, callback) => {
    pending.push({ fd, finish: (error) => callback(error ?? null) });
  };
  return { flush, pending };
}

function openFile(name: string): number {
  return openSync(join(scratch, name), 'w');
}

/** Whether a descriptor is still open in this process. */
function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

describe('WriteBehind', () => {
  it('starts a file flush once 32 MiB are unflushed, not before, and again after 32 more', async () => {
    const { flush, pending } = heldFlushes();
    const writeBehind = new WriteBehind(flush);
    const fd = openFile('big');
    writeBehind.opened(fd, 'big');
    writeBehind.wrote(fd, 32 * MiB - 1);
    assert.equal(pending.length, 0, 'flushed before 32 MiB were written');
    writeBehind.wrote(fd, 1);
    assert.deepEqual(
      pending.map((p) => p.fd),
      [fd],
    );
    // While it runs, no second flush of the same file.
    writeBehind.wrote(fd, 40 * MiB);
    assert.equal(pending.length, 1);
    pending.shift()?.finish();
    writeBehind.wrote(fd, 32 * MiB);
    assert.equal(pending.length, 1, 'the next 32 MiB did not start another flush');
    pending.shift()?.finish();
    writeBehind.release(fd);
    await writeBehind.settle();
    assert.equal(isOpen(fd), false);
  });

  it('runs at most two flushes at once, whatever the number of files', () => {
    const { flush, pending } = heldFlushes();
    const writeBehind = new WriteBehind(flush);
    const fds = [openFile('a'), openFile('b'), openFile('c')];
    for (const fd of fds) {
      writeBehind.opened(fd, String(fd));
      writeBehind.wrote(fd, 32 * MiB);
    }
    assert.deepEqual(
      pending.map((p) => p.fd),
      fds.slice(0, 2),
    );
    for (const p of pending.splice(0)) p.finish();
    for (const fd of fds) writeBehind.release(fd);
  });

  it('closes a released descriptor only when its running flush ends', async () => {
    const { flush, pending } = heldFlushes();
    const writeBehind = new WriteBehind(flush);
    const fd = openFile('held');
    writeBehind.opened(fd, 'held');
    writeBehind.wrote(fd, 32 * MiB);
    writeBehind.release(fd);
    assert.equal(isOpen(fd), true, 'closed under a running flush (its number could be reused)');
    let settled = false;
    const settling = writeBehind.settle().then(() => (settled = true));
    const alsoSettling = writeBehind.settle(); // a second waiter is woken too
    await new Promise(setImmediate);
    assert.equal(settled, false, 'settle() returned while a flush ran');
    pending.shift()?.finish();
    await Promise.all([settling, alsoSettling]);
    assert.equal(isOpen(fd), false);
  });

  it('gives a file released with 4 MiB or more unflushed one last flush, a smaller one none', async () => {
    const { flush, pending } = heldFlushes();
    const writeBehind = new WriteBehind(flush);
    const small = openFile('small');
    const medium = openFile('medium');
    writeBehind.opened(small, 'small');
    writeBehind.opened(medium, 'medium');
    writeBehind.wrote(small, 4 * MiB - 1);
    writeBehind.wrote(medium, 4 * MiB);
    writeBehind.release(small);
    writeBehind.release(medium);
    assert.equal(isOpen(small), false);
    assert.deepEqual(
      pending.map((p) => p.fd),
      [medium],
    );
    pending.shift()?.finish();
    await writeBehind.settle();
    assert.equal(isOpen(medium), false);
  });

  it('keeps a failed flush and throws it, naming the file, from settle() and the next wrote()', async () => {
    const { flush, pending } = heldFlushes();
    const writeBehind = new WriteBehind(flush);
    const fd = openFile('failing');
    writeBehind.opened(fd, '/backup/base/x/data/base/5/16384');
    writeBehind.wrote(fd, 32 * MiB);
    pending.shift()?.finish(Object.assign(new Error('EIO'), { code: 'EIO' }));
    const check = (error: unknown) =>
      error instanceof BarkeepError &&
      error.kind === 'io' &&
      error.message.includes('/backup/base/x/data/base/5/16384') &&
      error.message.includes('input/output error');
    assert.throws(() => writeBehind.wrote(fd, 1), check);
    await assert.rejects(writeBehind.settle(), check);
    writeBehind.release(fd);
  });

  it('flushes real files with fs.fdatasync and leaves their content as written', async () => {
    const flushed: number[] = [];
    const writeBehind = new WriteBehind((fd, callback) => {
      flushed.push(fd);
      fdatasync(fd, callback);
    });
    const path = join(scratch, 'real');
    const fd = openSync(path, 'w');
    writeBehind.opened(fd, path);
    const block = Buffer.alloc(MiB, 7);
    for (let i = 0; i < 40; i++) {
      writeSync(fd, block);
      writeBehind.wrote(fd, block.length);
    }
    writeBehind.release(fd);
    await writeBehind.settle();
    assert.ok(flushed.length >= 1);
    const content = readFileSync(path);
    assert.equal(content.length, 40 * MiB);
    assert.equal(
      content.every((byte) => byte === 7),
      true,
    );
  });
});
