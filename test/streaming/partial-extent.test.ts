import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { walBytesInPartial } from '../../src/streaming/partial-extent.ts';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'barkeep-partial-extent-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('walBytesInPartial', () => {
  it('is the offset after the last non-zero byte of a zero-filled .partial', async () => {
    const path = join(root, 'a.partial');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 10);
    bytes[12_345] = 1;
    await writeFile(path, bytes);
    assert.equal(await walBytesInPartial(path), 12_346, 'found across several 1 MiB reads');
    bytes[bytes.length - 1] = 9;
    await writeFile(path, bytes);
    assert.equal(await walBytesInPartial(path), bytes.length);
  });

  it('is 0 for an empty or all-zero file', async () => {
    const empty = join(root, 'empty.partial');
    await writeFile(empty, Buffer.alloc(0));
    assert.equal(await walBytesInPartial(empty), 0);
    const zeros = join(root, 'zeros.partial');
    await writeFile(zeros, Buffer.alloc(2 * 1024 * 1024));
    assert.equal(await walBytesInPartial(zeros), 0);
  });

  it('names the file when it cannot be read', async () => {
    const missing = join(root, 'missing.partial');
    await assert.rejects(
      walBytesInPartial(missing),
      (error: unknown) => isBarkeepError(error) && error.message.includes(missing),
    );
  });
});
