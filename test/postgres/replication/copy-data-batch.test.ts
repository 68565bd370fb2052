import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CopyDataBatch } from '../../../src/postgres/replication/copy-data-batch.ts';

describe('CopyDataBatch', () => {
  it('hands on full batches of copies and the rest on flush, bytes in order', () => {
    const batch = new CopyDataBatch(8);
    const out: Buffer[] = [];
    const source = Buffer.from('abcdefghijklmnopqrstu');
    batch.add(source.subarray(0, 5), (b) => out.push(b));
    assert.equal(out.length, 0);
    batch.add(source.subarray(5, 19), (b) => out.push(b));
    source.fill(0x2e); // the caller's buffer is reused: what was handed on must not change
    batch.flush((b) => out.push(b));
    assert.deepEqual(
      out.map((b) => b.toString()),
      ['abcdefgh', 'ijklmnop', 'qrs'],
    );
  });

  it('hands on nothing when empty', () => {
    const batch = new CopyDataBatch(4);
    const out: Buffer[] = [];
    batch.flush((b) => out.push(b));
    batch.add(Buffer.alloc(0), (b) => out.push(b));
    batch.flush((b) => out.push(b));
    assert.equal(out.length, 0);
  });

  it('reuses batches given back, whole or partial, and ignores what it did not hand on', () => {
    const batch = new CopyDataBatch(4);
    const out: Buffer[] = [];
    batch.add(Buffer.from('abcdef'), (b) => out.push(b));
    batch.flush((b) => out.push(b));
    const [full, partial] = out as [Buffer, Buffer];
    assert.equal(partial.toString(), 'ef');
    batch.recycle(partial); // a view of a whole batch's memory: reusable
    batch.recycle(Buffer.alloc(4)); // a pooled-size buffer it never handed on: also fine to reuse
    batch.recycle(Buffer.alloc(3)); // the wrong size: ignored
    batch.recycle(full.subarray(1)); // not from the start: ignored
    const next: Buffer[] = [];
    batch.add(Buffer.from('wxyz'), (b) => next.push(b));
    assert.equal(next[0]!.toString(), 'wxyz');
    batch.add(Buffer.from('1234'), (b) => next.push(b));
    assert.equal(
      next[0]!.toString(),
      'wxyz',
      'a handed-on batch is not reused before it is given back',
    );
    assert.equal(next[1]!.toString(), '1234');
    assert.ok(
      next.some((b) => b.buffer === partial.buffer),
      "the given-back batch's memory was reused",
    );
  });
});
