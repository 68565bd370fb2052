/**
 * The compression formats barkeep writes, the ones it can recognise in a Barman catalog, and
 * recognition of stored bytes by their magic number, the way Barman itself tells them apart
 * (see docs/barman-wal-formats.md).
 */

/**
 * A compression barkeep writes for WAL files and backups: Barman's names for the same on-disk
 * formats (a standard gzip stream, a standard zstd frame, an LZ4 frame), or none.
 */
export type WalCompression = 'gzip' | 'zstd' | 'lz4' | 'none';

/**
 * A format found in stored bytes: what barkeep writes, plus Barman's formats that barkeep only
 * recognises so it can name them in an error (it cannot decode them).
 */
export type DetectedCompression = WalCompression | 'bzip2' | 'xz' | 'snappy';

/** The formats barkeep reads and writes, in the order the CLI and docs list them. */
export const walCompressions: readonly WalCompression[] = ['gzip', 'zstd', 'lz4', 'none'];

/**
 * Magic numbers of the compressed formats, byte for byte as Barman's compressors define them:
 * gzip (deflate method), bzip2 (`BZh`), xz, zstd frame, LZ4 frame, snappy framing format.
 */
export const compressionMagic: Readonly<Record<Exclude<DetectedCompression, 'none'>, Buffer>> = {
  gzip: Buffer.from([0x1f, 0x8b, 0x08]),
  bzip2: Buffer.from([0x42, 0x5a, 0x68]),
  xz: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
  zstd: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
  lz4: Buffer.from([0x04, 0x22, 0x4d, 0x18]),
  snappy: Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]),
};

/** How many leading bytes `detectCompression` needs at most (the snappy stream identifier). */
export const magicProbeLength = 10;

const detectionOrder = Object.entries(compressionMagic) as [
  Exclude<DetectedCompression, 'none'>,
  Buffer,
][];

/**
 * The format of stored bytes, judged by their first bytes (pass at least `magicProbeLength` of
 * them, or the whole file). Bytes with no known magic are `'none'`: an uncompressed WAL segment
 * starts with its page magic, a history or backup-label file with text, and none of them can
 * start like a compressed stream, so this is how Barman and barkeep tell stored files apart.
 */
export function detectCompression(firstBytes: Uint8Array): DetectedCompression {
  for (const [format, magic] of detectionOrder) {
    if (startsWith(firstBytes, magic)) return format;
  }
  return 'none';
}

/** True for the formats barkeep can both write and read. */
export function isWalCompression(value: string): value is WalCompression {
  return (walCompressions as readonly string[]).includes(value);
}

/**
 * The compression name as Barman writes it in the fourth field of xlog.db: the format's name,
 * or the literal `None` when the file is stored uncompressed.
 */
export function xlogDbCompressionName(format: DetectedCompression): string {
  return format === 'none' ? 'None' : format;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) {
    if (bytes[index] !== prefix[index]) return false;
  }
  return true;
}
