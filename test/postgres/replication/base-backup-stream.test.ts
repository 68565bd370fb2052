import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BaseBackupStream } from '../../../src/postgres/replication/base-backup-stream.ts';

/** A PostgreSQL 15+ archive-data CopyData payload: 'd' then the bytes. */
function archiveData(text: string): { chunk: Buffer } {
  return { chunk: Buffer.concat([Buffer.from('d'), Buffer.from(text)]) };
}

describe('BaseBackupStream.directSink', () => {
  it('takes archive bytes before any batch while it accepts them, and keeps the order when it does not', () => {
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
    accepting = true;
    // 'two' waits in a batch: 'three' must not overtake it through the sink.
    stream.handleCopyData(archiveData('three'));
    stream.handleCommandComplete();
    stream.handleCopyData(archiveData('four'));
    assert.deepEqual(direct, ['one', 'four']);
    assert.deepEqual(batched, ['twothree']);
  });
});
