/** One tar header block as far as unpacking a base backup needs it. */
export interface TarHeader {
  /** The entry's path (ustar prefix and name joined; a pax or GNU long name replaces it). */
  readonly name: string;
  /** `file`, `directory`, `symlink`, the extended headers that describe the next entry (`pax`, `gnu-long-name`, `gnu-long-link`), or `other` (skipped). */
  readonly type:
    | 'file'
    | 'directory'
    | 'symlink'
    | 'pax'
    | 'gnu-long-name'
    | 'gnu-long-link'
    | 'other';
  readonly mode: number;
  /** Bytes of data after the header (then padded to a multiple of 512). */
  readonly size: number;
  /** Modification time, seconds since the epoch. */
  readonly mtime: number;
  readonly linkname: string;
}

/** tar's block size: headers are one block, data is padded to whole blocks. */
export const TAR_BLOCK = 512;

/** A block that is not a valid tar header (bad checksum, number or size). */
export class TarHeaderError extends Error {
  override name = 'TarHeaderError';
}

/**
 * Parses a 512-byte tar header block (ustar as PostgreSQL's BASE_BACKUP writes it, GNU and pax
 * extensions as other tar writers do); undefined for an all-zero block (the end-of-archive
 * marker). The checksum is verified, so a damaged stream is not unpacked as garbage. Pure.
 */
export function parseTarHeader(block: Buffer): TarHeader | undefined {
  if (block.length !== TAR_BLOCK) throw new TarHeaderError(`a header of ${block.length} bytes`);
  let sum = 0;
  let zero = true;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    sum += byte;
    if (block[i] !== 0) zero = false;
  }
  if (zero) return undefined;
  const recorded = number(block, 148, 8);
  if (recorded !== sum) throw new TarHeaderError(`header checksum ${recorded}, computed ${sum}`);
  const magic = block.toString('latin1', 257, 262);
  const name = text(block, 0, 100);
  const prefix = magic === 'ustar' ? text(block, 345, 155) : '';
  return {
    name: prefix ? `${prefix}/${name}` : name,
    type: typeOf(block[156]!),
    mode: number(block, 100, 8),
    size: number(block, 124, 12),
    mtime: number(block, 136, 12),
    linkname: text(block, 157, 100),
  };
}

/** The `path`, `linkpath` and `size` records of a pax extended header's data. */
export function parsePaxRecords(data: Buffer): { path?: string; linkpath?: string; size?: number } {
  const records: { path?: string; linkpath?: string; size?: number } = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.toString('latin1', at, space));
    if (!Number.isInteger(length) || length <= 0)
      throw new TarHeaderError('a bad pax record length');
    const record = data.toString('utf8', space + 1, at + length - 1);
    const equals = record.indexOf('=');
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === 'path') records.path = value;
    else if (key === 'linkpath') records.linkpath = value;
    else if (key === 'size') records.size = Number(value);
    at += length;
  }
  return records;
}

function typeOf(flag: number): TarHeader['type'] {
  switch (flag) {
    case 0:
    case 0x30 /* 0 */:
    case 0x37 /* 7: contiguous file */:
      return 'file';
    case 0x35 /* 5 */:
      return 'directory';
    case 0x32 /* 2 */:
      return 'symlink';
    case 0x78 /* x */:
      return 'pax';
    case 0x4c /* L */:
      return 'gnu-long-name';
    case 0x4b /* K */:
      return 'gnu-long-link';
    default:
      return 'other';
  }
}

/** A NUL-terminated field. */
function text(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end < 0 || end > offset + length ? offset + length : end);
}

/** An octal field, or GNU's base-256 form (high bit set) for values too large for octal. */
function number(block: Buffer, offset: number, length: number): number {
  if (block[offset]! & 0x80) {
    let value = block[offset]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i]!;
    return value;
  }
  const digits = block
    .toString('latin1', offset, offset + length)
    .replace(/[\0 ]+$/, '')
    .trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw new TarHeaderError(`a bad number "${digits}" at ${offset}`);
  return Number.parseInt(digits, 8);
}
