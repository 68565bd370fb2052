import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CopyDataDemux } from '../../../src/postgres/replication/copy-data-demux.ts';

/** One protocol message: type byte, length (itself included), body. */
function message(type: string, body: Buffer | string): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

const payloads = [Buffer.from('n base.tar\0\0'), Buffer.alloc(700, 7), Buffer.from('p12345678')];
const others = [
  message('T', 'row description'),
  message('D', 'data row'),
  message('C', 'SELECT 1'),
  message('H', Buffer.from([0, 0, 0])),
];
const closing = [message('c', ''), message('C', 'BASE_BACKUP'), message('Z', 'I')];
const stream = Buffer.concat([
  ...others,
  ...payloads.map((payload) => message('d', payload)),
  ...closing,
]);
const after = message('N', 'a notice for pg');

/** Feeds `bytes` cut at `cuts`; returns what went where. */
function run(bytes: Buffer, cuts: number[]) {
  const forwarded: Buffer[] = [];
  const pieces = new Map<number, Buffer[]>();
  let message = -1;
  const demux = new CopyDataDemux(
    (whole) => forwarded.push(Buffer.from(whole)),
    ({ bytes: piece, at, length }) => {
      if (at === 0) message++;
      assert.equal(length, payloads[message]!.length);
      const parts = pieces.get(message) ?? [];
      assert.equal(at, Buffer.concat(parts).length, 'a piece out of place');
      pieces.set(message, [...parts, Buffer.from(piece)]);
    },
  );
  let rest: Buffer | undefined;
  let start = 0;
  for (const end of [...cuts, bytes.length]) {
    assert.equal(rest, undefined, 'bytes pushed after ReadyForQuery');
    rest = demux.push(bytes.subarray(start, end));
    start = end;
  }
  return { forwarded, pieces: [...pieces.values()].map((parts) => Buffer.concat(parts)), rest };
}

describe('CopyDataDemux', () => {
  it('hands CopyData payloads on in place and every other message whole, wherever the chunks end', () => {
    const bytes = Buffer.concat([stream, after]);
    // Every cut inside the command; what follows ReadyForQuery comes back in the same chunk.
    for (let cut = 0; cut < stream.length; cut++) {
      const { forwarded, pieces, rest } = run(bytes, [cut]);
      assert.deepEqual(forwarded, [...others, ...closing], `cut at ${cut}`);
      assert.deepEqual(pieces, payloads, `cut at ${cut}`);
      assert.deepEqual(rest, after, `cut at ${cut}`);
    }
  });

  it('reads a stream cut into chunks of 1, 3 and 64 bytes', () => {
    for (const size of [1, 3, 64]) {
      const cuts = Array.from(
        { length: Math.floor(stream.length / size) },
        (_, i) => (i + 1) * size,
      );
      const { forwarded, pieces, rest } = run(
        stream,
        cuts.filter((cut) => cut < stream.length),
      );
      assert.deepEqual(forwarded, [...others, ...closing]);
      assert.deepEqual(pieces, payloads);
      assert.equal(rest?.length, 0);
    }
  });

  it('forwards an error and what follows it, and gives the stream back after ReadyForQuery', () => {
    const failing = Buffer.concat([
      message('H', Buffer.from([0, 0, 0])),
      message('d', Buffer.from('d partial archive')),
      message('E', 'SERROR\0Mcould not read file\0\0'),
      message('Z', 'I'),
      after,
    ]);
    const forwarded: string[] = [];
    const demux = new CopyDataDemux(
      (whole) => forwarded.push(String.fromCharCode(whole[0]!)),
      () => undefined,
    );
    const rest = demux.push(failing);
    assert.deepEqual(forwarded, ['H', 'E', 'Z']);
    assert.deepEqual(rest, after);
  });
});
