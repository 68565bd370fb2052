/**
 * XXH32, the 32-bit xxHash the LZ4 frame format uses for its header, block and content
 * checksums. Written from the public algorithm description; incremental, so a stream can hash
 * its content block by block.
 */

const prime1 = 2654435761;
const prime2 = 2246822519;
const prime3 = 3266489917;
const prime4 = 668265263;
const prime5 = 374761393;
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Incremental XXH32: feed bytes with `update`, read the hash with `digest`. */
export class XxHash32 {
  private readonly seed: number;
  private v1: number;
  private v2: number;
  private v3: number;
  private v4: number;
  private totalLength = 0;
  private readonly pending = new Uint8Array(16);
  private pendingLength = 0;

  /** A hash state for `seed` (the LZ4 frame format uses 0). */
  constructor(seed = 0) {
    this.seed = seed >>> 0;
    this.v1 = (this.seed + prime1 + prime2) >>> 0;
    this.v2 = (this.seed + prime2) >>> 0;
    this.v3 = this.seed;
    this.v4 = (this.seed - prime1) >>> 0;
  }

  /** Adds `bytes` to the hashed input. */
  update(bytes: Uint8Array): this {
    this.totalLength += bytes.length;
    let offset = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(16 - this.pendingLength, bytes.length);
      this.pending.set(bytes.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      offset = take;
      if (this.pendingLength < 16) return this;
      this.stripe(this.pending, 0);
      this.pendingLength = 0;
    }
    const end = bytes.length - ((bytes.length - offset) % 16);
    if (end > offset) this.stripes(bytes, offset, end);
    offset = Math.max(offset, end);
    if (offset < bytes.length) {
      this.pending.set(bytes.subarray(offset), 0);
      this.pendingLength = bytes.length - offset;
    }
    return this;
  }

  /** The hash of everything passed to `update`, as an unsigned 32-bit number. */
  digest(): number {
    let hash =
      this.totalLength >= 16
        ? (rotl(this.v1, 1) + rotl(this.v2, 7) + rotl(this.v3, 12) + rotl(this.v4, 18)) >>> 0
        : (this.seed + prime5) >>> 0;
    hash = (hash + this.totalLength) >>> 0;
    let offset = 0;
    for (; offset + 4 <= this.pendingLength; offset += 4) {
      hash = Math.imul(
        rotl((hash + Math.imul(readUint32(this.pending, offset), prime3)) >>> 0, 17),
        prime4,
      );
    }
    for (; offset < this.pendingLength; offset++) {
      hash = Math.imul(rotl((hash + Math.imul(this.pending[offset]!, prime5)) >>> 0, 11), prime1);
    }
    hash ^= hash >>> 15;
    hash = Math.imul(hash, prime2);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, prime3);
    hash ^= hash >>> 16;
    return hash >>> 0;
  }

  /**
   * The bulk loop, kept in locals: reads lanes through a Uint32Array when the platform is
   * little-endian and the data 4-byte aligned (about four times faster), bytewise otherwise.
   */
  private stripes(bytes: Uint8Array, start: number, end: number): void {
    let v1 = this.v1;
    let v2 = this.v2;
    let v3 = this.v3;
    let v4 = this.v4;
    const absolute = bytes.byteOffset + start;
    if (littleEndian && absolute % 4 === 0) {
      const lanes = new Uint32Array(bytes.buffer, absolute, (end - start) / 4);
      for (let lane = 0; lane < lanes.length; lane += 4) {
        v1 = round(v1, lanes[lane]!);
        v2 = round(v2, lanes[lane + 1]!);
        v3 = round(v3, lanes[lane + 2]!);
        v4 = round(v4, lanes[lane + 3]!);
      }
    } else {
      for (let offset = start; offset < end; offset += 16) {
        v1 = round(v1, readUint32(bytes, offset));
        v2 = round(v2, readUint32(bytes, offset + 4));
        v3 = round(v3, readUint32(bytes, offset + 8));
        v4 = round(v4, readUint32(bytes, offset + 12));
      }
    }
    this.v1 = v1;
    this.v2 = v2;
    this.v3 = v3;
    this.v4 = v4;
  }

  private stripe(bytes: Uint8Array, offset: number): void {
    this.v1 = round(this.v1, readUint32(bytes, offset));
    this.v2 = round(this.v2, readUint32(bytes, offset + 4));
    this.v3 = round(this.v3, readUint32(bytes, offset + 8));
    this.v4 = round(this.v4, readUint32(bytes, offset + 12));
  }
}

/** XXH32 of `bytes` in one call. */
export function xxhash32(bytes: Uint8Array, seed = 0): number {
  return new XxHash32(seed).update(bytes).digest();
}

function round(accumulator: number, lane: number): number {
  return Math.imul(rotl((accumulator + Math.imul(lane, prime2)) >>> 0, 13), prime1) >>> 0;
}

function rotl(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! |
      (bytes[offset + 1]! << 8) |
      (bytes[offset + 2]! << 16) |
      (bytes[offset + 3]! << 24)) >>>
    0
  );
}
