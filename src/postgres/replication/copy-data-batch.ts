/**
 * Gathers the payloads of many small CopyData messages into fewer, larger buffers. The server
 * sends a base backup in messages of 32 kB; handing each on as a buffer of its own means one
 * allocation, one write to the archive and one file write per 32 kB, and a garbage heap of
 * thousands of short-lived buffers that the garbage collector frees late. Batches of `size`
 * bytes cut all three by the same factor. The bytes are copied: the caller's buffer may be
 * reused as soon as `add()` returns, and each batch handed on is the receiver's to keep.
 */
export class CopyDataBatch {
  readonly #size: number;
  #buffer: Buffer | undefined;
  #used = 0;

  constructor(size: number) {
    this.#size = size;
  }

  /** Copies `bytes` in, handing on every batch that fills up. */
  add(bytes: Buffer, emit: (batch: Buffer) => void): void {
    let offset = 0;
    while (offset < bytes.length) {
      this.#buffer ??= Buffer.allocUnsafeSlow(this.#size);
      const copied = bytes.copy(this.#buffer, this.#used, offset);
      this.#used += copied;
      offset += copied;
      if (this.#used === this.#size) this.flush(emit);
    }
  }

  /** Hands on what has been gathered so far, if anything. */
  flush(emit: (batch: Buffer) => void): void {
    const buffer = this.#buffer;
    const used = this.#used;
    this.#buffer = undefined;
    this.#used = 0;
    if (buffer && used > 0) emit(used === buffer.length ? buffer : buffer.subarray(0, used));
  }
}
