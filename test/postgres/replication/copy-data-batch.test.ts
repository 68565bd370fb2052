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
});
