import { type Lsn, toLsn } from '../../wal/lsn.ts';

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 00:00:00 UTC). */
const POSTGRES_EPOCH_OFFSET_US = 946_684_800_000_000n;

/** A WAL chunk the server streams: `w` inside CopyData. */
export interface XLogDataMessage {
  readonly kind: 'xlog-data';
  /** Where `data` starts in the WAL. */
  readonly walStart: Lsn;
  /** The server's current end of WAL. */
  readonly walEnd: Lsn;
  /** The server's clock when sending, microseconds since the Unix epoch. */
  readonly sendTimeUs: bigint;
  /** The WAL bytes: a view into the buffer given to the parser (copy what you keep). */
  readonly data: Buffer;
}

/** The server's keepalive: `k` inside CopyData. */
export interface KeepaliveMessage {
  readonly kind: 'keepalive';
  readonly walEnd: Lsn;
  readonly sendTimeUs: bigint;
  /** The server wants a status update now (it is about to time the connection out). */
  readonly replyRequested: boolean;
}

/** Any message the server sends inside the CopyBoth stream of START_REPLICATION. */
export type ReplicationMessage = XLogDataMessage | KeepaliveMessage;

/** A CopyData payload that is not a message of the streaming replication protocol. */
export class ReplicationMessageError extends Error {
  override name = 'ReplicationMessageError';
}

/**
 * Parses one CopyData payload of a physical replication stream: `w` (XLogData: start, end, send
 * time, then the WAL bytes) or `k` (primary keepalive: end, send time, reply-requested). Pure;
 * the returned `data` is a view into `payload`, so a caller that keeps it must copy it (pg
 * reuses its receive buffer).
 */
export function parseReplicationMessage(payload: Buffer): ReplicationMessage {
  const type = payload[0];
  if (type === 0x77 /* w */) {
    if (payload.length < 25)
      throw new ReplicationMessageError(`XLogData message of ${payload.length} bytes is too short`);
    return {
      kind: 'xlog-data',
      walStart: toLsn(payload.readBigUInt64BE(1)),
      walEnd: toLsn(payload.readBigUInt64BE(9)),
      sendTimeUs: fromPostgresTime(payload.readBigInt64BE(17)),
      data: payload.subarray(25),
    };
  }
  if (type === 0x6b /* k */) {
    if (payload.length < 18)
      throw new ReplicationMessageError(
        `keepalive message of ${payload.length} bytes is too short`,
      );
    return {
      kind: 'keepalive',
      walEnd: toLsn(payload.readBigUInt64BE(1)),
      sendTimeUs: fromPostgresTime(payload.readBigInt64BE(9)),
      replyRequested: payload[17] === 1,
    };
  }
  throw new ReplicationMessageError(
    `unknown replication message type 0x${(type ?? 0).toString(16)}`,
  );
}

/** The positions a standby status update reports. */
export interface StandbyStatus {
  /** Last WAL byte + 1 received and written. */
  readonly written: Lsn;
  /** Last WAL byte + 1 fsynced: what synchronous replication waits for. */
  readonly flushed: Lsn;
  /** Last WAL byte + 1 applied; a receiver that does not replay reports 0, as pg_receivewal does. */
  readonly applied: Lsn;
  /** The client's clock, microseconds since the Unix epoch. */
  readonly clockUs: bigint;
  /** Ask the server to answer with a keepalive at once. */
  readonly replyRequested?: boolean;
}

/**
 * The standby status update (`r`) payload to send inside CopyData: written, flushed and applied
 * positions, the client's clock, and whether a reply is requested. 34 bytes.
 */
export function formatStandbyStatus(status: StandbyStatus): Buffer {
  const message = Buffer.alloc(34);
  message[0] = 0x72; // r
  message.writeBigUInt64BE(status.written, 1);
  message.writeBigUInt64BE(status.flushed, 9);
  message.writeBigUInt64BE(status.applied, 17);
  message.writeBigInt64BE(toPostgresTime(status.clockUs), 25);
  message[33] = status.replyRequested ? 1 : 0;
  return message;
}

/** Microseconds since PostgreSQL's epoch to microseconds since the Unix epoch. */
export function fromPostgresTime(postgresUs: bigint): bigint {
  return postgresUs + POSTGRES_EPOCH_OFFSET_US;
}

/** Microseconds since the Unix epoch to PostgreSQL's epoch. */
export function toPostgresTime(unixUs: bigint): bigint {
  return unixUs - POSTGRES_EPOCH_OFFSET_US;
}

/** The current time in microseconds since the Unix epoch. */
export function nowUs(): bigint {
  return BigInt(Date.now()) * 1000n;
}
