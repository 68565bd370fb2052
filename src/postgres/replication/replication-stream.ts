import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Lsn } from '../../wal/lsn.ts';
import { parseLsn } from '../../wal/lsn.ts';
import type { TimelineId } from '../../wal/timeline.ts';
import { toTimelineId } from '../../wal/timeline.ts';
import {
  formatStandbyStatus,
  parseReplicationMessage,
  type ReplicationMessage,
  type StandbyStatus,
} from './replication-messages.ts';

/** Where the server continues after a timeline ended (the result set after CopyDone). */
export interface NextTimeline {
  readonly timeline: TimelineId;
  readonly startLsn: Lsn;
}

/** The pieces of node-postgres's connection object the stream uses. */
interface PgConnection extends EventEmitter {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  readonly stream: Socket;
}

/**
 * Events: `message` (each XLogData or keepalive, handled synchronously), `readEnd` (every
 * message of one socket read has been emitted: the views they carry are still valid, and are
 * not after the listener returns), `end` (with the next timeline when the server ended one),
 * `error`.
 */
export interface ReplicationStreamEvents {
  message: [ReplicationMessage];
  readEnd: [];
  end: [NextTimeline | undefined];
  error: [Error];
}

/**
 * The CopyBoth stream of `START_REPLICATION`, plugged into node-postgres as a "submittable"
 * query: pg authenticates, handles TLS and parses the wire protocol; this class turns CopyData
 * payloads into replication messages, sends standby status updates, answers the server's
 * CopyDone at the end of a timeline and reads where the next timeline starts. `pause()` and
 * `resume()` stop and restart reading from the socket: the only backpressure the protocol has.
 * A `message` listener must handle or copy the message before returning: the bytes are a view
 * into pg's receive buffer, which is reused.
 */
export class ReplicationStream extends EventEmitter<ReplicationStreamEvents> {
  readonly #command: string;
  #connection: PgConnection | undefined;
  #next: NextTimeline | undefined;
  #copyDoneSent = false;
  #finished = false;
  /** Runs after pg's own `data` listener, which parsed the chunk and emitted its messages. */
  readonly #onData = () => {
    if (!this.#finished) this.emit('readEnd');
  };
  readonly #onCopyDone = () => {
    if (!this.#copyDoneSent) {
      this.#copyDoneSent = true;
      this.#connection?.endCopyFrom();
    }
  };

  constructor(command: string) {
    super();
    this.#command = command;
  }

  /** Called by pg when the query becomes active: send START_REPLICATION. */
  submit(connection: PgConnection): void {
    this.#connection = connection;
    connection.on('copyDone', this.#onCopyDone);
    connection.stream.on('data', this.#onData);
    connection.query(this.#command);
  }

  /** Sends a standby status update (written/flushed/applied positions). */
  sendStatus(status: StandbyStatus): void {
    if (this.#finished || this.#copyDoneSent || !this.#connection) return;
    this.#connection.sendCopyFromChunk(formatStandbyStatus(status));
  }

  /** Ends streaming from our side (a clean stop): the server answers and the stream ends. */
  finish(): void {
    if (this.#finished || !this.#connection) return;
    this.#onCopyDone();
  }

  /** Stops reading from the server until `resume()`: the writer fell behind. */
  pause(): void {
    this.#connection?.stream.pause();
  }

  /** Reads from the server again. */
  resume(): void {
    this.#connection?.stream.resume();
  }

  handleCopyData(message: { chunk: Buffer }): void {
    let parsed: ReplicationMessage;
    try {
      parsed = parseReplicationMessage(message.chunk);
    } catch (error) {
      this.emit('error', error as Error);
      return;
    }
    this.emit('message', parsed);
  }

  handleRowDescription(): void {}

  handleDataRow(message: { fields: (string | null)[] }): void {
    const [timeline, start] = message.fields;
    if (timeline && start)
      this.#next = { timeline: toTimelineId(Number(timeline)), startLsn: parseLsn(start) };
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handleCopyInResponse(): void {}

  handlePortalSuspended(): void {}

  handleReadyForQuery(): void {
    this.#finish();
    this.emit('end', this.#next);
  }

  handleError(error: Error): void {
    this.#finish();
    this.emit('error', error);
  }

  #finish(): void {
    this.#finished = true;
    this.#connection?.off('copyDone', this.#onCopyDone);
    this.#connection?.stream.off('data', this.#onData);
    this.#connection?.stream.resume();
  }
}
