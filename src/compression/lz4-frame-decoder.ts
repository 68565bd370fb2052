/**
 * An incremental decoder of the LZ4 frame format (lz4 CLI, Python's lz4.frame as Barman uses
 * it, pg_basebackup, lz4-napi). lz4-napi's own frame decoder stops after the first frame and
 * accepts a frame whose end mark is missing, so barkeep walks the frames itself: it checks every
 * header, block size, checksum and end mark, decodes blocks with lz4-napi's raw block API (with
 * the previous 64 KiB as dictionary for linked blocks) and handles concatenated and skippable
 * frames. Memory is bounded by one block (at most 4 MiB) plus the 64 KiB window.
 */
import { ByteQueue } from './byte-queue.ts';
import { corruptData, unsupportedFormat } from './compression-errors.ts';
import type { Lz4Module } from './native-codecs.ts';
import { XxHash32, xxhash32 } from './xxhash32.ts';

const frameMagic = 0x184d2204;
const legacyMagic = 0x184c2102;
const skippableMagicMask = 0xfffffff0;
const skippableMagic = 0x184d2a50;
const windowSize = 64 * 1024;
const blockMaxSizes: Readonly<Record<number, number>> = {
  4: 64 * 1024,
  5: 256 * 1024,
  6: 1024 * 1024,
  7: 4 * 1024 * 1024,
};

interface FrameState {
  readonly independent: boolean;
  readonly blockChecksum: boolean;
  readonly contentChecksum: boolean;
  readonly contentSize: bigint | undefined;
  readonly maxBlockSize: number;
  readonly sizePrefix: Buffer;
  readonly hash: XxHash32 | undefined;
  produced: bigint;
  window: Buffer;
}

type Step =
  | { readonly kind: 'magic' }
  | { readonly kind: 'descriptor' }
  | { readonly kind: 'skippable-size' }
  | { readonly kind: 'skip'; remaining: number }
  | { readonly kind: 'block-size' }
  | { readonly kind: 'block'; readonly size: number; readonly stored: boolean }
  | { readonly kind: 'content-checksum' };

/** Decodes a sequence of LZ4 frames fed in arbitrary chunks. */
export class Lz4FrameDecoder {
  private readonly queue = new ByteQueue();
  private step: Step = { kind: 'magic' };
  private frame: FrameState | undefined;
  private framesSeen = 0;

  /** A decoder using lz4-napi's block functions; `source` names the data in errors. */
  constructor(
    private readonly lz4: Lz4Module,
    private readonly source: string,
  ) {}

  /** Feeds compressed bytes; returns the decoded bytes they completed (possibly none). */
  push(chunk: Buffer): Buffer[] {
    this.queue.push(chunk);
    const output: Buffer[] = [];
    while (this.advance(output)) {
      // Each call consumes one unit (magic, header, block, checksum) while enough bytes wait.
    }
    return output;
  }

  /** Declares the input complete; throws when it ended inside a frame or held no frame. */
  finish(): void {
    if (this.step.kind !== 'magic' || this.queue.length > 0) {
      throw corruptData('lz4', this.source, 'the data ends in the middle of an LZ4 frame');
    }
    if (this.framesSeen === 0) throw corruptData('lz4', this.source, 'it holds no LZ4 frame');
  }

  private advance(output: Buffer[]): boolean {
    const step = this.step;
    switch (step.kind) {
      case 'magic':
        return this.readMagic();
      case 'skippable-size':
        if (this.queue.length < 4) return false;
        this.step = { kind: 'skip', remaining: this.queue.read(4).readUInt32LE(0) };
        return true;
      case 'skip':
        step.remaining -= this.queue.skip(step.remaining);
        if (step.remaining > 0) return false;
        this.step = { kind: 'magic' };
        return true;
      case 'descriptor':
        return this.readDescriptor();
      case 'block-size':
        return this.readBlockSize();
      case 'block':
        return this.readBlock(step.size, step.stored, output);
      case 'content-checksum':
        return this.readContentChecksum();
    }
  }

  private readMagic(): boolean {
    if (this.queue.length < 4) return false;
    const magic = this.queue.read(4).readUInt32LE(0);
    if (magic === frameMagic) {
      this.step = { kind: 'descriptor' };
    } else if ((magic & skippableMagicMask) >>> 0 === skippableMagic) {
      this.step = { kind: 'skippable-size' };
    } else if (magic === legacyMagic) {
      throw unsupportedFormat('legacy LZ4 (not LZ4 frame)', this.source);
    } else {
      const where =
        this.framesSeen === 0 ? 'it does not start' : 'data after a frame does not start';
      throw corruptData('lz4', this.source, `${where} with an LZ4 frame magic number`);
    }
    return true;
  }

  private readDescriptor(): boolean {
    if (this.queue.length < 2) return false;
    const head = this.queue.peek(2);
    const flags = head[0]!;
    const blockDescriptor = head[1]!;
    const hasContentSize = (flags & 0x08) !== 0;
    const hasDictionary = (flags & 0x01) !== 0;
    const length = 2 + (hasContentSize ? 8 : 0) + (hasDictionary ? 4 : 0) + 1;
    if (this.queue.length < length) return false;
    const descriptor = this.queue.read(length);
    if (flags >> 6 !== 1 || (flags & 0x02) !== 0 || (blockDescriptor & 0x8f) !== 0) {
      throw corruptData(
        'lz4',
        this.source,
        'the LZ4 frame header has an unknown version or reserved bits set',
      );
    }
    const maxBlockSize = blockMaxSizes[(blockDescriptor >> 4) & 0x07];
    if (maxBlockSize === undefined) {
      throw corruptData('lz4', this.source, 'the LZ4 frame header names an invalid block size');
    }
    if (((xxhash32(descriptor.subarray(0, length - 1)) >>> 8) & 0xff) !== descriptor[length - 1]) {
      throw corruptData('lz4', this.source, 'the LZ4 frame header checksum does not match');
    }
    if (hasDictionary) throw unsupportedFormat('LZ4 with a preset dictionary', this.source);
    const sizePrefix = Buffer.alloc(4);
    sizePrefix.writeUInt32LE(maxBlockSize, 0);
    const contentChecksum = (flags & 0x04) !== 0;
    this.frame = {
      independent: (flags & 0x20) !== 0,
      blockChecksum: (flags & 0x10) !== 0,
      contentChecksum,
      contentSize: hasContentSize ? descriptor.readBigUInt64LE(2) : undefined,
      maxBlockSize,
      sizePrefix,
      hash: contentChecksum ? new XxHash32() : undefined,
      produced: 0n,
      window: Buffer.alloc(0),
    };
    this.framesSeen++;
    this.step = { kind: 'block-size' };
    return true;
  }

  private readBlockSize(): boolean {
    if (this.queue.length < 4) return false;
    const frame = this.frame!;
    const word = this.queue.read(4).readUInt32LE(0);
    if (word === 0) {
      if (frame.contentChecksum) this.step = { kind: 'content-checksum' };
      else this.endFrame(frame);
      return true;
    }
    const size = word & 0x7fffffff;
    if (size > frame.maxBlockSize) {
      throw corruptData(
        'lz4',
        this.source,
        `an LZ4 block claims ${size} bytes, more than the frame allows`,
      );
    }
    this.step = { kind: 'block', size, stored: (word & 0x80000000) !== 0 };
    return true;
  }

  private readBlock(size: number, stored: boolean, output: Buffer[]): boolean {
    const frame = this.frame!;
    const needed = size + (frame.blockChecksum ? 4 : 0);
    if (this.queue.length < needed) return false;
    const data = this.queue.read(size);
    if (frame.blockChecksum && this.queue.read(4).readUInt32LE(0) !== xxhash32(data)) {
      throw corruptData('lz4', this.source, 'an LZ4 block checksum does not match');
    }
    const block = stored ? Buffer.from(data) : this.decodeBlock(frame, data);
    frame.produced += BigInt(block.length);
    frame.hash?.update(block);
    if (!frame.independent) frame.window = nextWindow(frame.window, block);
    if (block.length > 0) output.push(block);
    this.step = { kind: 'block-size' };
    return true;
  }

  private decodeBlock(frame: FrameState, data: Buffer): Buffer {
    const input = Buffer.concat([frame.sizePrefix, data]);
    const dictionary = frame.independent || frame.window.length === 0 ? undefined : frame.window;
    try {
      return this.lz4.uncompressSync(input, dictionary);
    } catch (error) {
      throw corruptData('lz4', this.source, 'an LZ4 block does not decode', error);
    }
  }

  private readContentChecksum(): boolean {
    if (this.queue.length < 4) return false;
    const frame = this.frame!;
    if (this.queue.read(4).readUInt32LE(0) !== frame.hash!.digest()) {
      throw corruptData('lz4', this.source, 'the LZ4 content checksum does not match');
    }
    this.endFrame(frame);
    return true;
  }

  private endFrame(frame: FrameState): void {
    if (frame.contentSize !== undefined && frame.contentSize !== frame.produced) {
      throw corruptData(
        'lz4',
        this.source,
        `the LZ4 frame holds ${frame.produced} bytes but its header says ${frame.contentSize}`,
      );
    }
    this.frame = undefined;
    this.step = { kind: 'magic' };
  }
}

/** The last 64 KiB of a frame's output, which a linked block may refer back to. */
function nextWindow(window: Buffer, block: Buffer): Buffer {
  if (block.length >= windowSize) return Buffer.from(block.subarray(block.length - windowSize));
  const joined = Buffer.concat([window, block]);
  return joined.length > windowSize ? joined.subarray(joined.length - windowSize) : joined;
}
