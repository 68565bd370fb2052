/**
 * LZ4 as Node Transform streams, for base backups (bounded memory). lz4-napi has no streaming
 * API, so compression cuts the input into 4 MiB chunks and writes each as its own LZ4 frame:
 * the LZ4 frame format allows concatenated frames, and the lz4 CLI, Python's lz4.frame (which
 * Barman uses) and barkeep's decoder read them as one stream. Each frame has a content checksum. Decompression uses barkeep's
 * incremental frame decoder, so it also reads single huge frames written by lz4 or pg_basebackup.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ByteQueue } from './byte-queue.ts';
import { Lz4FrameDecoder } from './lz4-frame-decoder.ts';
import type { Lz4Module } from './native-codecs.ts';

/** Uncompressed bytes per LZ4 frame written by the compress stream. */
export const lz4StreamFrameSize = 4 * 1024 * 1024;

/** Compresses its input into a sequence of independent LZ4 frames of `frameSize` bytes each. */
export class Lz4CompressStream extends Transform {
  private readonly pending = new ByteQueue();
  private framesWritten = 0;

  /** A compressor using lz4-napi's frame function. */
  constructor(
    private readonly lz4: Lz4Module,
    private readonly frameSize = lz4StreamFrameSize,
  ) {
    super();
  }

  /** @internal */
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.emitFrames(this.frameSize).then(() => done(), done);
  }

  /** @internal */
  override _flush(done: TransformCallback): void {
    // Empty input still becomes one (empty) frame, as the lz4 CLI writes it, so that the
    // output is valid LZ4 whatever the input.
    const minimum = this.framesWritten === 0 ? 0 : 1;
    this.emitFrames(minimum).then(() => done(), done);
  }

  private async emitFrames(minimum: number): Promise<void> {
    while (this.pending.length >= minimum) {
      const input = this.pending.read(Math.min(this.frameSize, this.pending.length));
      this.push(await this.lz4.compressFrame(input, { contentChecksum: true }));
      this.framesWritten++;
      if (this.pending.length === 0) return;
    }
  }
}

/** Decompresses a sequence of LZ4 frames, one block at a time. */
export class Lz4DecompressStream extends Transform {
  private readonly decoder: Lz4FrameDecoder;

  /** A decompressor; `source` names the data in errors. */
  constructor(lz4: Lz4Module, source: string) {
    super();
    this.decoder = new Lz4FrameDecoder(lz4, source);
  }

  /** @internal */
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      for (const part of this.decoder.push(chunk)) this.push(part);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  /** @internal */
  override _flush(done: TransformCallback): void {
    try {
      this.decoder.finish();
      done();
    } catch (error) {
      done(error as Error);
    }
  }
}
