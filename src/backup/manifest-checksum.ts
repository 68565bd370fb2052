import { createHash } from 'node:crypto';

/** The checksum algorithms a PostgreSQL backup manifest may name (`Checksum-Algorithm`). */
export type ManifestChecksumAlgorithm =
  | 'NONE'
  | 'CRC32C'
  | 'SHA224'
  | 'SHA256'
  | 'SHA384'
  | 'SHA512';

/** An incremental checksum of one file, fed chunk by chunk. */
export interface FileChecksum {
  update(chunk: Uint8Array): void;
  /** The checksum as the manifest writes it: lower-case hex ('' for `NONE`). */
  digestHex(): string;
}

/**
 * The manifest's algorithm name as barkeep knows it (PostgreSQL compares case-insensitively),
 * or undefined for one it does not know.
 */
export function parseChecksumAlgorithm(name: string): ManifestChecksumAlgorithm | undefined {
  const upper = name.toUpperCase();
  return (['NONE', 'CRC32C', 'SHA224', 'SHA256', 'SHA384', 'SHA512'] as const).find(
    (algorithm) => algorithm === upper,
  );
}

/**
 * A checksum of `algorithm` computed as PostgreSQL computes it for the manifest: the SHA-2
 * digests as they are, CRC-32C as the four bytes of the value in the server's memory order,
 * which is little-endian on every platform PostgreSQL runs on in practice (x86-64, ARM64).
 */
export function createFileChecksum(algorithm: ManifestChecksumAlgorithm): FileChecksum {
  switch (algorithm) {
    case 'NONE':
      return { update: () => undefined, digestHex: () => '' };
    case 'CRC32C':
      return new Crc32c();
    default: {
      const hash = createHash(algorithm.toLowerCase());
      return {
        update: (chunk) => void hash.update(chunk),
        digestHex: () => hash.digest('hex'),
      };
    }
  }
}

/** The eight lookup tables of slicing-by-8 for the Castagnoli polynomial (reflected 0x82F63B78). */
const tables: Uint32Array[] = (() => {
  const all = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = all[0]!;
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    first[n] = crc >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const previous = all[k - 1]![n]!;
      all[k]![n] = (first[previous & 0xff]! ^ (previous >>> 8)) >>> 0;
    }
  }
  return all;
})();

/** CRC-32C (Castagnoli), as PostgreSQL's pg_crc32c, computed eight bytes at a time. */
class Crc32c implements FileChecksum {
  #crc = 0xffffffff;

  update(chunk: Uint8Array): void {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
    ];
    let crc = this.#crc;
    let index = 0;
    const length = chunk.length;
    const whole = length - (length % 8);
    while (index < whole) {
      const low =
        (crc ^
          (chunk[index]! |
            (chunk[index + 1]! << 8) |
            (chunk[index + 2]! << 16) |
            (chunk[index + 3]! << 24))) >>>
        0;
      crc =
        t7[low & 0xff]! ^
        t6[(low >>> 8) & 0xff]! ^
        t5[(low >>> 16) & 0xff]! ^
        t4[low >>> 24]! ^
        t3[chunk[index + 4]!]! ^
        t2[chunk[index + 5]!]! ^
        t1[chunk[index + 6]!]! ^
        t0[chunk[index + 7]!]!;
      index += 8;
    }
    while (index < length) crc = t0[(crc ^ chunk[index++]!) & 0xff]! ^ (crc >>> 8);
    this.#crc = crc >>> 0;
  }

  digestHex(): string {
    const value = (this.#crc ^ 0xffffffff) >>> 0;
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value);
    return bytes.toString('hex');
  }
}
