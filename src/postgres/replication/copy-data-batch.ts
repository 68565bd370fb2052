/**
 * Gathers the payloads of many small CopyData messages into fewer, larger buffers. The server
 * sends a base backup in messages of 32 kB; handing each on as a buffer of its own means one
 * allocation, one write to the archive and one file write per 32 kB, and a garbage heap of
 * thousands of short-lived buffers that the garbage collector frees late. Batches of `size`
 * bytes cut all three by the same factor. The bytes are copied: the caller's buffer may be
 * reused as soon as `add()` returns, and each batch handed on is the receiver's to keep, or to
 * give back with `recycle()` once written: the next batches then reuse it instead of fresh memory
 * (whose first touch costs page faults, and whose garbage the collector frees late).
 */
export class CopyDataBatch {
  readonly #size: number;
  #buffer: Buffer | undefined;
  #used = 0;
  /** Batches given back, reused before any new allocation. */
  readonly #spare: Buffer[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** Copies `bytes` in, handing on every batch that fills up. */
  add(bytes: Buffer, emit: (batch: Buffer) => void): void {
    let offset = 0;
    while (offset < bytes.length) {
      this.#buffer ??= this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.#size);
      const copied = bytes.copy(this.#buffer, this.#used, offset);
      this.#used += copied;
      offset += copied;
      if (this.#used === this.#size) this.flush(emit);
    }
  }

  /**
   * Offers what has been gathered to `take`, which either writes it at once (returns true: the
   * batch's memory then gathers the next bytes) or refuses it (false: it stays gathered).
   * Returns whether nothing is left gathered.
   */
  offer(take: (gathered: Buffer) => boolean): boolean {
    if (this.#used === 0 || !this.#buffer) return true;
    if (!take(this.#buffer.subarray(0, this.#used))) return false;
    this.#used = 0;
    return true;
  }

  /** Hands on what has been gathered so far, if anything. */
  flush(emit: (batch: Buffer) => void): void {
    const buffer = this.#buffer;
    const used = this.#used;
    this.#buffer = undefined;
    this.#used = 0;
    if (buffer && used > 0) emit(used === buffer.length ? buffer : buffer.subarray(0, used));
  }

  /**
   * Takes back a batch handed on by this instance that its receiver no longer needs (it wrote
   * it synchronously and keeps no reference). Anything else is ignored; at most
   * `MAX_SPARE` batches are kept.
   */
  recycle(batch: Buffer): void {
    if (batch.byteOffset !== 0 || batch.buffer.byteLength !== this.#size) return;
    if (this.#spare.length >= MAX_SPARE) return;
    this.#spare.push(Buffer.from(batch.buffer, 0, this.#size));
  }
}

/** How many given-back batches are kept for reuse. */
const MAX_SPARE = 4;
