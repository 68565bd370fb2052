/**
 * A FIFO of byte chunks for incremental parsers: chunks are appended as they arrive and read
 * back in exact amounts, copying only when a read spans several chunks. Keeps a decoder that
 * waits for a 4 MiB block from 64 KiB stream chunks linear instead of quadratic.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private size = 0;

  /** Bytes available to read. */
  get length(): number {
    return this.size;
  }

  /** Appends a chunk (kept by reference; the caller must not modify it afterwards). */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Removes and returns the next `count` bytes; the caller checks `length` first. */
  read(count: number): Buffer {
    if (count > this.size)
      throw new RangeError(`ByteQueue: ${count} bytes asked, ${this.size} held`);
    this.size -= count;
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= count) {
      const result = first.subarray(this.head, this.head + count);
      this.advance(first, count);
      return result;
    }
    const result = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length - this.head, count - filled);
      chunk.copy(result, filled, this.head, this.head + take);
      filled += take;
      this.advance(chunk, take);
    }
    return result;
  }

  /** The next `count` bytes without removing them; the caller checks `length` first. */
  peek(count: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= count) {
      return first.subarray(this.head, this.head + count);
    }
    const copy = new ByteQueue();
    for (const [index, chunk] of this.chunks.entries()) {
      copy.push(index === 0 ? chunk.subarray(this.head) : chunk);
    }
    return copy.read(count);
  }

  /** Drops up to `count` bytes; returns how many were dropped. */
  skip(count: number): number {
    const dropped = Math.min(count, this.size);
    let remaining = dropped;
    this.size -= dropped;
    while (remaining > 0) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length - this.head, remaining);
      this.advance(chunk, take);
      remaining -= take;
    }
    return dropped;
  }

  private advance(chunk: Buffer, count: number): void {
    this.head += count;
    if (this.head === chunk.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
