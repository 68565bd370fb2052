/** Where a piece of a CopyData message's payload sits in it. */
export interface CopyDataPiece {
  /** Bytes of the payload: a view into the socket's chunk, valid only during the call. */
  readonly bytes: Buffer;
  /** Offset of `bytes` in the message's payload. */
  readonly at: number;
  /** The payload's whole length. */
  readonly length: number;
}

const COPY_DATA = 0x64; // 'd'
const READY_FOR_QUERY = 0x5a; // 'Z'
const HEADER = 5;

/**
 * Splits the server's byte stream during one command into CopyData payloads, handed on in
 * place as they arrive (`onCopyData`), and every other message, handed whole to node-postgres's
 * own parser (`forward`). pg's parser copies each socket chunk into its own buffer whenever a
 * message straddles two chunks (BASE_BACKUP's 32 kB messages straddle nearly every 64 kB read):
 * a second copy of every byte of a backup, and an object and an event per message. Here a
 * payload costs no copy: its pieces are views into the chunk the socket delivered. A message
 * that is not CopyData is gathered (they are small) and forwarded alone, so pg's parser always
 * starts on a message boundary and sees the command's replies, errors and ReadyForQuery as
 * before. After ReadyForQuery, {@link push} returns the rest of the chunk, for pg.
 */
export class CopyDataDemux {
  readonly #forward: (message: Buffer) => void;
  readonly #onCopyData: (piece: CopyDataPiece) => void;
  readonly #header = Buffer.alloc(HEADER);
  #headerFill = 0;
  /** The message being read: its type, payload length and how much of it has been seen. */
  #type = 0;
  #length = 0;
  #seen = 0;
  /** The parts of a message that is not CopyData, gathered until it is whole. */
  #parts: Buffer[] = [];

  constructor(forward: (message: Buffer) => void, onCopyData: (piece: CopyDataPiece) => void) {
    this.#forward = forward;
    this.#onCopyData = onCopyData;
  }

  /**
   * Reads one socket chunk. Returns undefined while the command runs, or, once its
   * ReadyForQuery was forwarded, what followed it in the chunk (for pg's parser).
   */
  push(chunk: Buffer): Buffer | undefined {
    let at = 0;
    while (at < chunk.length) {
      if (this.#headerFill < HEADER) {
        let header: Buffer;
        let start: number;
        if (this.#headerFill === 0 && chunk.length - at >= HEADER) {
          // The whole header in this chunk (nearly always): read in place.
          header = chunk;
          start = at;
          this.#headerFill = HEADER;
          at += HEADER;
        } else {
          const take = Math.min(HEADER - this.#headerFill, chunk.length - at);
          chunk.copy(this.#header, this.#headerFill, at, at + take);
          this.#headerFill += take;
          at += take;
          if (this.#headerFill < HEADER) break;
          header = this.#header;
          start = 0;
        }
        this.#type = header[start]!;
        this.#length = header.readUInt32BE(start + 1) - 4;
        this.#seen = 0;
        if (this.#type !== COPY_DATA)
          this.#parts = [Buffer.from(header.subarray(start, start + HEADER))];
        if (this.#length > 0) continue;
      }
      const take = Math.min(this.#length - this.#seen, chunk.length - at);
      if (take > 0) {
        const bytes = chunk.subarray(at, at + take);
        if (this.#type === COPY_DATA) {
          this.#onCopyData({ bytes, at: this.#seen, length: this.#length });
        } else {
          this.#parts.push(Buffer.from(bytes));
        }
        this.#seen += take;
        at += take;
      }
      if (this.#seen < this.#length) break;
      this.#headerFill = 0;
      if (this.#type === COPY_DATA) continue;
      const message = Buffer.concat(this.#parts);
      this.#parts = [];
      this.#forward(message);
      if (this.#type === READY_FOR_QUERY) return chunk.subarray(at);
    }
    return undefined;
  }
}
