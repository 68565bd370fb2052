import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BaseBackupStream } from '../../../src/postgres/replication/base-backup-stream.ts';

/** A PostgreSQL 15+ archive-data CopyData payload: 'd' then the bytes. */
function archiveData(text: string): { chunk: Buffer } {
  return { chunk: Buffer.concat([Buffer.from('d'), Buffer.from(text)]) };
}

describe('BaseBackupStream.directSink', () => {
  it('takes archive bytes while it accepts them; bytes it refused come back to it first, in order', () => {
    const stream = new BaseBackupStream('BASE_BACKUP', true);
    const direct: string[] = [];
    const batched: string[] = [];
    let accepting = true;
    stream.directSink = (bytes) => {
      if (!accepting) return false;
      direct.push(bytes.toString());
      return true;
    };
    stream.on('data', (batch) => batched.push(batch.toString()));
    stream.handleCopyData(archiveData('one'));
    accepting = false;
    stream.handleCopyData(archiveData('two'));
    stream.handleCopyData(archiveData('three'));
    accepting = true;
    // 'two' and 'three' wait in a batch: they reach the sink before 'four'.
    stream.handleCopyData(archiveData('four'));
    stream.handleCopyData(archiveData('five'));
    assert.deepEqual(direct, ['one', 'twothree', 'four', 'five']);
    assert.deepEqual(batched, []);
  });

  it('keeps gathering while the sink refuses, and hands a full batch on as data', () => {
    const stream = new BaseBackupStream('BASE_BACKUP', true);
    const batched: number[] = [];
    stream.directSink = () => false;
    stream.on('data', (batch) => batched.push(batch.length));
    const piece = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 20; i++) stream.handleCopyData(archiveData(piece));
    stream.handleCommandComplete();
    // 640 kB of 32 kB messages: one 512 kB batch, then the rest at the end of the result.
    assert.deepEqual(batched, [512 * 1024, 128 * 1024]);
  });
});
