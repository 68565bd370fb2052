import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openConnection } from '../../src/postgres/connect.ts';
import { BaseBackupStream } from '../../src/postgres/replication/base-backup-stream.ts';
import { ReusedBufferSocket } from '../../src/postgres/reused-buffer-socket.ts';
import { useCluster } from '../support/cluster.ts';

/** A local TCP server that runs `serve` for each connection; closed after the suite. */
function useServer(serve: (peer: Socket) => void): { port: () => number } {
  let server: Server | undefined;
  before(async () => {
    server = createServer(serve);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => server!.close(() => resolve())));
  return { port: () => (server!.address() as { port: number }).port };
}

const payload = randomBytes(3 * 1024 * 1024);

describe('ReusedBufferSocket', () => {
  const server = useServer((peer) => {
    // Sends the payload in 64 KiB writes; the client's first byte starts a second sending.
    const send = () => {
      for (let at = 0; at < payload.length; at += 65536)
        peer.write(payload.subarray(at, at + 65536));
    };
    send();
    peer.once('data', () => {
      send();
      peer.end();
    });
  });

  it('hands each read on as a data event with a copy of its own, safe to keep', async () => {
    const socket = new ReusedBufferSocket(16 * 1024);
    const kept: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => kept.push(chunk));
    socket.connect(server.port(), '127.0.0.1');
    await waitFor(() => Buffer.concat(kept).length >= payload.length);
    socket.write('x');
    await new Promise((resolve) => socket.on('close', resolve));
    // Kept chunks that were views into the reused buffer would have been overwritten.
    assert.ok(kept.length > 2);
    assert.ok(Buffer.concat(kept).equals(Buffer.concat([payload, payload])));
  });

  it('hands reads in place to readInPlace, all in its one buffer, then data events again after release', async () => {
    const socket = new ReusedBufferSocket(16 * 1024);
    const events: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => events.push(chunk));
    const inPlace: Buffer[] = [];
    const memory = new Set<ArrayBufferLike>();
    const release = socket.readInPlace((bytes) => {
      memory.add(bytes.buffer);
      inPlace.push(Buffer.from(bytes));
    });
    socket.connect(server.port(), '127.0.0.1');
    await waitFor(() => Buffer.concat(inPlace).length >= payload.length);
    release();
    socket.write('x');
    await new Promise((resolve) => socket.on('close', resolve));
    assert.ok(Buffer.concat(inPlace).equals(payload));
    assert.equal(memory.size, 1, 'every read went into the same buffer');
    assert.equal([...memory][0]!.byteLength, 16 * 1024);
    assert.ok(Buffer.concat(events).equals(payload), 'after release, reads are data events');
  });
});

describe('ReusedBufferSocket on a replication connection', () => {
  const handle = useCluster({ major: 15, label: 'reused-socket' });

  it('carries replication connections without TLS, whose BASE_BACKUP data is read in place', async () => {
    const { cluster } = handle;
    const regular = await openConnection(cluster.conninfo());
    const client = await openConnection(cluster.conninfo(), { replication: true });
    try {
      assert.ok(!(regular.connection.stream instanceof ReusedBufferSocket));
      const socket = client.connection.stream;
      assert.ok(socket instanceof ReusedBufferSocket);
      const stream = new BaseBackupStream(
        "BASE_BACKUP (LABEL 'in place', CHECKPOINT 'fast', WAIT false, MANIFEST 'no')",
        true,
      );
      // Counted without a listener of our own (BaseBackupStream wants pg's alone on the socket).
      let dataEvents = 0;
      const emit = socket.emit.bind(socket);
      socket.emit = (event: string | symbol, ...args: unknown[]) => {
        if (event === 'data') dataEvents += 1;
        return emit(event, ...args);
      };
      const memory = new Set<ArrayBufferLike>();
      let bytes = 0;
      stream.directSink = (view) => {
        memory.add(view.buffer);
        bytes += view.length;
        return true;
      };
      client.query(stream as never);
      await new Promise<void>((resolve, reject) => {
        stream.on('done', resolve);
        stream.on('error', reject);
      });
      assert.ok(bytes > 1024 * 1024);
      assert.equal(dataEvents, 0, 'the socket emitted the command’s reads as data events');
      assert.equal(memory.size, 1, 'archive bytes came from more than one buffer');
      // pg reads the next command's replies in step.
      const result = await client.query('IDENTIFY_SYSTEM');
      assert.equal(Number((result.rows[0] as { timeline: string }).timeline), 1);
    } finally {
      await regular.end();
      await client.end();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
