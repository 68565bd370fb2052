import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  formatStandbyStatus,
  fromPostgresTime,
  nowUs,
  parseReplicationMessage,
  ReplicationMessageError,
  toPostgresTime,
} from '../../../src/postgres/replication/replication-messages.ts';
import { type Lsn, parseLsn } from '../../../src/wal/lsn.ts';

/** Payloads a PostgreSQL 15 walsender sent (see fixtures/capture-replication-messages.ts). */
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/replication-messages.json', import.meta.url), 'utf8'),
) as {
  insertedText: string;
  xlogData: string;
  keepalive: string;
  keepaliveReplyRequested: string;
};
const captured = (hex: string) => Buffer.from(hex, 'hex');

/** 2000-01-01 00:00:00 UTC in microseconds since the Unix epoch. */
const POSTGRES_EPOCH_US = 946_684_800_000_000n;
/** A plausible send time: between 2024 and 2100, in microseconds since the Unix epoch. */
function assertPlausibleTime(us: bigint): void {
  assert.ok(us > BigInt(Date.UTC(2024, 0, 1)) * 1000n && us < BigInt(Date.UTC(2100, 0, 1)) * 1000n);
}

describe('parseReplicationMessage on captured payloads', () => {
  it('reads an XLogData message: start, end, send time and a view of the WAL bytes', () => {
    const payload = captured(fixture.xlogData);
    const message = parseReplicationMessage(payload);
    assert.equal(message.kind, 'xlog-data');
    if (message.kind !== 'xlog-data') return;
    assert.equal(message.walStart, payload.readBigUInt64BE(1));
    assert.equal(message.walEnd, payload.readBigUInt64BE(9));
    assert.ok(message.walStart > 0n && message.walStart <= message.walEnd);
    // Streaming a caught-up server: the chunk ends where the server's WAL ends.
    assert.equal(message.walStart + BigInt(message.data.length), message.walEnd);
    assertPlausibleTime(message.sendTimeUs);
    assert.equal(message.data.length, payload.length - 25);
    assert.ok(message.data.includes(fixture.insertedText), 'the committed row is in the WAL');
    // A view into the payload, not a copy: the caller must copy what it keeps.
    assert.equal(message.data.buffer, payload.buffer);
    assert.equal(message.data.byteOffset, payload.byteOffset + 25);
  });

  it('reads a keepalive without the reply-requested flag', () => {
    const message = parseReplicationMessage(captured(fixture.keepalive));
    assert.equal(message.kind, 'keepalive');
    if (message.kind !== 'keepalive') return;
    assert.equal(message.replyRequested, false);
    assertPlausibleTime(message.sendTimeUs);
    const xlog = parseReplicationMessage(captured(fixture.xlogData));
    assert.equal(message.walEnd, xlog.walEnd, 'nothing was written after the row');
  });

  it('reads the reply-requested flag of a keepalive sent when wal_sender_timeout nears', () => {
    const first = parseReplicationMessage(captured(fixture.keepalive));
    const message = parseReplicationMessage(captured(fixture.keepaliveReplyRequested));
    assert.equal(message.kind, 'keepalive');
    if (message.kind !== 'keepalive') return;
    assert.equal(message.replyRequested, true);
    // wal_sender_timeout was 2 s: the request comes about 1 s after the last reply.
    const elapsed = message.sendTimeUs - first.sendTimeUs;
    assert.ok(elapsed > 500_000n && elapsed < 5_000_000n, `${elapsed} us`);
  });
});

describe('parseReplicationMessage on hand-made payloads', () => {
  it('reads the fields of an XLogData message at their offsets', () => {
    const payload = Buffer.alloc(25 + 3);
    payload[0] = 0x77;
    payload.writeBigUInt64BE(0x1_0000_0028n, 1);
    payload.writeBigUInt64BE(0x1_0000_0100n, 9);
    payload.writeBigInt64BE(1_000_000n, 17);
    payload.set([1, 2, 3], 25);
    assert.deepEqual(parseReplicationMessage(payload), {
      kind: 'xlog-data',
      walStart: parseLsn('1/28'),
      walEnd: parseLsn('1/100'),
      sendTimeUs: POSTGRES_EPOCH_US + 1_000_000n,
      data: Buffer.from([1, 2, 3]),
    });
  });

  it('accepts an XLogData message without WAL bytes', () => {
    const payload = Buffer.alloc(25);
    payload[0] = 0x77;
    const message = parseReplicationMessage(payload);
    assert.equal(message.kind, 'xlog-data');
    assert.equal(message.kind === 'xlog-data' && message.data.length, 0);
  });

  it('reads the reply-requested byte of a keepalive at offset 17', () => {
    const payload = captured(fixture.keepaliveReplyRequested);
    payload[17] = 0;
    const message = parseReplicationMessage(payload);
    assert.equal(message.kind === 'keepalive' && message.replyRequested, false);
    payload[17] = 1;
    const again = parseReplicationMessage(payload);
    assert.equal(again.kind === 'keepalive' && again.replyRequested, true);
  });

  it('refuses an XLogData message shorter than its 25-byte header', () => {
    const payload = captured(fixture.xlogData).subarray(0, 24);
    assert.throws(
      () => parseReplicationMessage(payload),
      (error: unknown) =>
        error instanceof ReplicationMessageError &&
        error.name === 'ReplicationMessageError' &&
        error.message === 'XLogData message of 24 bytes is too short',
    );
  });

  it('refuses a keepalive shorter than 18 bytes', () => {
    const payload = captured(fixture.keepalive).subarray(0, 17);
    assert.throws(() => parseReplicationMessage(payload), {
      name: 'ReplicationMessageError',
      message: 'keepalive message of 17 bytes is too short',
    });
  });

  it('refuses an unknown message type and an empty payload', () => {
    assert.throws(() => parseReplicationMessage(Buffer.from('r0000')), {
      message: 'unknown replication message type 0x72',
    });
    assert.throws(() => parseReplicationMessage(Buffer.alloc(0)), {
      message: 'unknown replication message type 0x0',
    });
  });
});

describe('formatStandbyStatus', () => {
  it('lays out the 34-byte `r` message: three LSNs, the clock, the reply flag', () => {
    const clockUs = POSTGRES_EPOCH_US + 0x0102_0304_0506n;
    const message = formatStandbyStatus({
      written: parseLsn('1/2000'),
      flushed: parseLsn('1/1000'),
      applied: 0n as Lsn,
      clockUs,
      replyRequested: true,
    });
    assert.equal(message.length, 34);
    assert.equal(message[0], 0x72);
    assert.equal(message.readBigUInt64BE(1), 0x1_0000_2000n);
    assert.equal(message.readBigUInt64BE(9), 0x1_0000_1000n);
    assert.equal(message.readBigUInt64BE(17), 0n);
    assert.equal(message.readBigInt64BE(25), 0x0102_0304_0506n);
    assert.equal(message[33], 1);
    assert.equal(
      message.toString('hex'),
      `72${'0000000100002000'}${'0000000100001000'}${'0'.repeat(16)}${'0000010203040506'}01`,
    );
  });

  it('does not request a reply unless asked, and keeps the top bits of large LSNs', () => {
    const message = formatStandbyStatus({
      written: parseLsn('FFFFFFFF/FFFFFFFF'),
      flushed: parseLsn('FFFFFFFF/FFFFFFFE'),
      applied: 0n as Lsn,
      clockUs: POSTGRES_EPOCH_US,
    });
    assert.equal(message[33], 0);
    assert.equal(message.readBigUInt64BE(1), 0xffff_ffff_ffff_ffffn);
    assert.equal(message.readBigUInt64BE(9), 0xffff_ffff_ffff_fffen);
    assert.equal(message.readBigInt64BE(25), 0n);
  });

  it('writes a clock before 2000 as a negative PostgreSQL time', () => {
    const message = formatStandbyStatus({
      written: 0n as Lsn,
      flushed: 0n as Lsn,
      applied: 0n as Lsn,
      clockUs: 0n,
    });
    assert.equal(message.readBigInt64BE(25), -POSTGRES_EPOCH_US);
  });
});

describe('PostgreSQL epoch conversions', () => {
  it('puts PostgreSQL time 0 at 2000-01-01 00:00:00 UTC', () => {
    assert.equal(fromPostgresTime(0n), BigInt(Date.UTC(2000, 0, 1)) * 1000n);
    assert.equal(toPostgresTime(BigInt(Date.UTC(2000, 0, 1)) * 1000n), 0n);
  });

  it('round-trips both ways', () => {
    for (const us of [0n, 1n, -1n, 1_700_000_000_123_456n, POSTGRES_EPOCH_US]) {
      assert.equal(toPostgresTime(fromPostgresTime(us)), us);
      assert.equal(fromPostgresTime(toPostgresTime(us)), us);
    }
  });

  it('nowUs is the wall clock in microseconds', () => {
    const before = BigInt(Date.now()) * 1000n;
    const now = nowUs();
    const after = BigInt(Date.now()) * 1000n;
    assert.ok(now >= before && now <= after);
    assert.equal(now % 1000n, 0n);
  });
});
