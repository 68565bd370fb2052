import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BaseBackupStream } from '../../../src/postgres/replication/base-backup-stream.ts';
import { ReusedBufferSocket } from '../../../src/postgres/reused-buffer-socket.ts';

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

/** One protocol message: its type byte, its length, its payload. */
function message(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

describe('BaseBackupStream on a ReusedBufferSocket', () => {
  const commandComplete = message('C', Buffer.from('BASE_BACKUP\0'));
  const ready = message('Z', Buffer.from('I'));
  const afterReady = message('S', Buffer.from('application_name\0first\0'));
  const later = message('S', Buffer.from(`application_name\0${'x'.repeat(100)}\0`));
  let server: Server | undefined;
  before(async () => {
    server = createServer((peer) => {
      // The command's reply and, in the same read, what follows its ReadyForQuery; then, in a
      // later read that overwrites the socket's buffer, one more message.
      const copyData = message('d', Buffer.from('darchive bytes'));
      peer.write(Buffer.concat([copyData, commandComplete, ready, afterReady]));
      setTimeout(() => peer.end(later), 100);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => server!.close(() => resolve())));

  it('reads CopyData in place and gives pg copies of everything else, the bytes after ReadyForQuery included', async () => {
    const socket = new ReusedBufferSocket(1024);
    const parsed: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => parsed.push(chunk)); // pg's parser keeps what it gets
    const connection = Object.assign(new EventEmitter(), { stream: socket, query: () => {} });
    const stream = new BaseBackupStream('BASE_BACKUP', true);
    const archive: string[] = [];
    stream.directSink = (bytes) => {
      archive.push(bytes.toString());
      return true;
    };
    stream.submit(connection);
    socket.connect((server!.address() as { port: number }).port, '127.0.0.1');
    await new Promise((resolve) => socket.on('close', resolve));
    assert.deepEqual(archive, ['archive bytes']);
    assert.equal(stream.readsSocket, false);
    const expected = Buffer.concat([commandComplete, ready, afterReady, later]);
    assert.equal(Buffer.concat(parsed).toString('latin1'), expected.toString('latin1'));
  });
});
