import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Transform } from 'node:stream';
import { createCompressStream } from '../compression/compress-stream.ts';
import type { WalCompression } from '../compression/compression-format.ts';
import { ioError } from '../errors/system-error.ts';

/**
 * Stores one archive of a base backup as a file (`base.tar.zst`, `16385.tar.gz`...), compressing
 * it on the way when the server sent it uncompressed and `backup_compression` asks for it, or
 * writing the server-compressed bytes as they are. `write()` resolves when the file (and the
 * compressor) can take more, so memory stays bounded.
 */
export class ArchiveFileSink {
  readonly #path: string;
  readonly #file: WriteStream;
  readonly #input: Transform | WriteStream;
  readonly #finished: Promise<void>;
  /** Aborted once `#finished` settles. */
  readonly #settled = new AbortController();
  #bytes = 0;

  private constructor(path: string, compressor: Transform | undefined) {
    this.#path = path;
    this.#file = createWriteStream(path, { mode: 0o600 });
    this.#input = compressor ?? this.#file;
    if (compressor) compressor.pipe(this.#file);
    this.#finished = new Promise<void>((resolve, reject) => {
      this.#file.once('close', resolve);
      this.#file.once('error', (error) =>
        reject(ioError('cannot write backup archive', path, error)),
      );
      compressor?.once('error', (error) => reject(error));
    });
    // Handled here once (end() awaits it), and a wait for 'drain' stops when it settles.
    const settle = () => this.#settled.abort();
    this.#finished.then(settle, settle);
  }

  /**
   * Opens the file; `compression` applies when the data arrives uncompressed, zstd with
   * `workers` threads of its own (see createCompressStream).
   */
  static async open(
    path: string,
    compression: WalCompression,
    level?: number,
    workers = 0,
  ): Promise<ArchiveFileSink> {
    const compressor =
      compression === 'none' ? undefined : await createCompressStream(compression, level, workers);
    return new ArchiveFileSink(path, compressor);
  }

  /** Bytes received (before compression). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends archive bytes. The wait for 'drain' holds no reaction on the long-lived
   * `#finished` (one per write would stay alive until the archive ends).
   */
  async write(chunk: Buffer): Promise<void> {
    this.#bytes += chunk.length;
    if (this.#input.write(chunk)) return;
    try {
      await once(this.#input, 'drain', { signal: this.#settled.signal });
    } catch (error) {
      if (!this.#settled.signal.aborted) throw error;
      await this.#finished;
    }
  }

  /** Ends the archive and waits until the file is written and closed (not yet fsynced). */
  async end(): Promise<string> {
    this.#input.end();
    await this.#finished;
    return this.#path;
  }
}
