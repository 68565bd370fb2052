import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { type Lsn, parseLsn } from '../../wal/lsn.ts';
import { ReusedBufferSocket } from '../reused-buffer-socket.ts';
import { CopyDataBatch } from './copy-data-batch.ts';
import { CopyDataDemux, type CopyDataPiece } from './copy-data-demux.ts';

/** A tablespace the server will send (the data directory has no oid and no location). */
export interface BackupTablespace {
  readonly oid: number | undefined;
  readonly location: string | undefined;
  /** Estimated size in bytes (the server reports kB with PROGRESS). */
  readonly sizeBytes: number | undefined;
}

/** The start or end position the server reports. */
export interface BackupPosition {
  readonly lsn: Lsn;
  readonly timeline: number;
}

/** Events of a BASE_BACKUP run, in the order the server sends them. */
export interface BaseBackupEvents {
  start: [BackupPosition];
  tablespaces: [BackupTablespace[]];
  /** A new archive begins: `base.tar`, `<oid>.tar` (with a compression suffix when the server compresses). */
  archive: [{ readonly name: string; readonly tablespace: BackupTablespace | undefined }];
  /** Bytes of the current archive, gathered into batches of up to 512 kB (a copy: safe to keep). */
  data: [Buffer];
  /** The server's running total of bytes sent (PROGRESS). */
  progress: [number];
  /** The backup manifest follows; the next `data` events are manifest bytes. */
  manifest: [];
  end: [BackupPosition];
  /** The command completed; no more events. */
  done: [];
  error: [Error];
}

/**
 * Archive bytes are handed on in buffers of this size rather than one per 32 kB CopyData
 * message: a sixteenth of the allocations, archive writes and file writes.
 */
const DATA_BATCH_BYTES = 512 * 1024;

interface PgConnection extends EventEmitter {
  query(text: string): void;
  readonly stream: Socket;
}

/**
 * The BASE_BACKUP command as a node-postgres "submittable" (pg authenticates and parses the wire
 * protocol): turns the server's answer into events. PostgreSQL 15+ sends one COPY stream whose
 * messages start with a type byte (`n` new archive, `d` data, `p` progress, `m` manifest);
 * PostgreSQL 14 sends one COPY stream per tablespace in the order of the tablespace result set,
 * then one for the manifest. The three result sets (start, tablespaces, end) are told apart by
 * their order. `pause()`/`resume()` stop reading the socket when the writer falls behind.
 */
export class BaseBackupStream extends EventEmitter<BaseBackupEvents> {
  readonly #command: string;
  readonly #typed: boolean;
  #connection: PgConnection | undefined;
  #resultSet = 0;
  #rows: (string | null)[][] = [];
  #tablespaces: BackupTablespace[] = [];
  #copyCount = 0;
  #failed = false;
  readonly #batch = new CopyDataBatch(DATA_BATCH_BYTES);
  readonly #emitData = (bytes: Buffer) => this.emit('data', bytes);
  readonly #onCopyOut = () => this.#copyOutResponse();
  /** Gives the socket back to pg's parser, while the command's CopyData is read here. */
  #restoreSocket: (() => void) | undefined;
  /** The type byte of the typed CopyData message being read, and its parts when not data. */
  #pieceType = 0;
  #pieceParts: Buffer[] = [];

  /** `typedCopyData`: true for PostgreSQL 15+ (one COPY stream with typed messages). */
  constructor(command: string, typedCopyData: boolean) {
    super();
    this.#command = command;
    this.#typed = typedCopyData;
  }

  submit(connection: PgConnection): void {
    this.#connection = connection;
    connection.on('copyOutResponse', this.#onCopyOut);
    this.#readCopyDataFromSocket(connection.stream);
    connection.query(this.#command);
  }

  /** Whether the CopyData of this command is read from the socket in place (see CopyDataDemux). */
  get readsSocket(): boolean {
    return this.#restoreSocket !== undefined;
  }

  /**
   * Puts a CopyDataDemux in front of pg's parser for the length of the command: the connection
   * is idle (pg submits a query after ReadyForQuery), so the stream starts on a message
   * boundary. A ReusedBufferSocket hands its reads to the demux in place; any other socket has
   * pg's listener swapped for the demux's. With any other set of socket listeners than pg's
   * one, pg parses everything, as without this.
   */
  #readCopyDataFromSocket(socket: Socket | undefined): void {
    const listeners = socket?.listeners('data') as ((chunk: Buffer) => void)[] | undefined;
    if (!socket || listeners?.length !== 1) return;
    const parse = listeners[0]!;
    const demux = new CopyDataDemux(parse, (piece) => this.#copyPiece(piece));
    const read = (chunk: Buffer) => {
      const rest = demux.push(chunk);
      if (rest === undefined) return;
      this.#restoreSocket?.();
      // pg's parser keeps what it is given, and the chunk may be a view into a reused buffer.
      if (rest.length > 0) parse(Buffer.from(rest));
    };
    const release =
      socket instanceof ReusedBufferSocket
        ? socket.readInPlace(read)
        : swapDataListener(socket, parse, read);
    this.#restoreSocket = () => {
      release();
      this.#restoreSocket = undefined;
    };
  }

  /** A piece of a CopyData payload, read in place: archive bytes go on at once. */
  #copyPiece({ bytes, at, length }: CopyDataPiece): void {
    if (!this.#typed) {
      this.#archiveData(bytes);
      return;
    }
    if (at === 0) this.#pieceType = bytes[0] ?? 0;
    if (this.#pieceType === 0x64 /* d */) {
      this.#archiveData(at === 0 ? bytes.subarray(1) : bytes);
      return;
    }
    // The other messages (new archive, progress, manifest) are small: read whole.
    if (at === 0 && bytes.length === length) {
      this.handleCopyData({ chunk: bytes });
      return;
    }
    this.#pieceParts.push(Buffer.from(bytes));
    if (at + bytes.length < length) return;
    const whole = Buffer.concat(this.#pieceParts);
    this.#pieceParts = [];
    this.handleCopyData({ chunk: whole });
  }

  pause(): void {
    this.#connection?.stream.pause();
  }

  resume(): void {
    this.#connection?.stream.resume();
  }

  handleRowDescription(): void {
    this.#flushData();
    this.#flushResultSet();
    this.#resultSet++;
    this.#rows = [];
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    this.#rows.push([...message.fields]);
  }

  handleCommandComplete(): void {
    this.#flushData();
    this.#flushResultSet();
  }

  handleCopyData(message: { chunk: Buffer }): void {
    const chunk = message.chunk;
    if (!this.#typed) {
      this.#archiveData(chunk);
      return;
    }
    switch (chunk[0]) {
      case 0x6e /* n */:
        {
          this.#flushData();
          const nameEnd = chunk.indexOf(0, 1);
          const pathEnd = chunk.indexOf(0, nameEnd + 1);
          const name = chunk.toString('utf8', 1, nameEnd);
          const path = chunk.toString('utf8', nameEnd + 1, pathEnd);
          const tablespace = this.#tablespaces.find(
            (candidate) => (candidate.location ?? '') === path,
          );
          this.emit('archive', { name, tablespace });
          return;
        }
      case 0x64 /* d */:
        this.#archiveData(chunk.subarray(1));
        return;
      case 0x70 /* p */:
        this.emit('progress', Number(chunk.readBigInt64BE(1)));
        return;
      case 0x6d /* m */:
        this.#flushData();
        this.emit('manifest');
        return;
      default:
        this.#fail(new Error(`unknown BASE_BACKUP message type 0x${(chunk[0] ?? 0).toString(16)}`));
    }
  }

  handleEmptyQuery(): void {}

  handleCopyInResponse(): void {}

  handlePortalSuspended(): void {}

  handleReadyForQuery(): void {
    this.#flushData();
    this.#connection?.off('copyOutResponse', this.#onCopyOut);
    if (!this.#failed) this.emit('done');
  }

  handleError(error: Error): void {
    this.#connection?.off('copyOutResponse', this.#onCopyOut);
    this.#connection?.stream.resume();
    this.#fail(error);
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.emit('error', error);
  }

  /** PostgreSQL 14: each COPY stream is the next tablespace's tar, then the manifest. */
  #copyOutResponse(): void {
    this.#flushData();
    this.#flushResultSet();
    if (this.#typed) return;
    const index = this.#copyCount++;
    const tablespace = this.#tablespaces[index];
    if (index >= this.#tablespaces.length) {
      this.emit('manifest');
      return;
    }
    this.emit('archive', {
      name: tablespace?.oid === undefined ? 'base.tar' : `${tablespace.oid}.tar`,
      tablespace,
    });
  }

  /**
   * A listener that may take archive bytes synchronously, before any copy: given a view into
   * the bytes just received, it returns true once it has written them, false when it cannot now
   * (they are then gathered into a batch and emitted as `data`, as without it). Gathered bytes
   * are offered to it again before any later ones, so the order of the archive is kept.
   */
  directSink: ((bytes: Buffer) => boolean) | undefined;

  #archiveData(bytes: Buffer): void {
    // Bytes gathered while the sink could not take them are offered to it first, so that one
    // refusal does not send the rest of the backup through batches.
    const sink = this.directSink;
    if (sink && this.#batch.offer(sink) && sink(bytes)) return;
    this.#batch.add(bytes, this.#emitData);
  }

  /**
   * Gives back a `data` batch the listener has written and no longer references (a plain
   * backup writes each batch synchronously): later batches reuse its memory.
   */
  recycle(batch: Buffer): void {
    this.#batch.recycle(batch);
  }

  /** Hands on the archive bytes gathered so far: before anything that is not archive data. */
  #flushData(): void {
    this.#batch.flush(this.#emitData);
  }

  /** Emits the result set just read, once: 1 = start, 2 = tablespaces, 3 = end. */
  #flushResultSet(): void {
    const rows = this.#rows;
    if (rows.length === 0 && this.#resultSet !== 2) return;
    this.#rows = [];
    if (this.#resultSet === 1 && rows[0]) {
      this.emit('start', { lsn: parseLsn(rows[0][0]!), timeline: Number(rows[0][1]) });
    } else if (this.#resultSet === 2) {
      if (this.#tablespaces.length > 0 || rows.length === 0) return;
      this.#tablespaces = rows.map((row) => ({
        oid: row[0] === null || row[0] === undefined ? undefined : Number(row[0]),
        location: row[1] ?? undefined,
        sizeBytes: row[2] === null || row[2] === undefined ? undefined : Number(row[2]) * 1024,
      }));
      this.emit('tablespaces', this.#tablespaces);
    } else if (this.#resultSet === 3 && rows[0]) {
      this.emit('end', { lsn: parseLsn(rows[0][0]!), timeline: Number(rows[0][1]) });
    }
  }
}

/** Puts `replacement` in the place of the socket's `data` listener `current`; returns the undo. */
function swapDataListener(
  socket: Socket,
  current: (chunk: Buffer) => void,
  replacement: (chunk: Buffer) => void,
): () => void {
  socket.removeListener('data', current);
  socket.on('data', replacement);
  return () => {
    socket.removeListener('data', replacement);
    socket.on('data', current);
  };
}
