import { closeSync, openSync, writeSync } from 'node:fs';
import { ioError } from '../errors/system-error.ts';
import { resolveLevel } from './compression-levels.ts';
import { loadZstdBinding, type ZstdBinding } from './native-codecs.ts';

/** The compressed bytes gathered before one write to the file. */
const OUTPUT_SIZE = 1024 * 1024;
/** Room zstd is given at least for one call (ZSTD_CStreamOutSize is one block, 128 KiB + 3). */
const MIN_ROOM = 132 * 1024;

/**
 * Writes one zstd file (a frame with a checksum, as the zstd CLI writes) from data handed over
 * synchronously: each chunk is compressed by the caller's thread straight into one output buffer
 * reused for the whole file, and that buffer is written out when full. zstd copies what it keeps
 * of a chunk, so the caller may reuse the chunk as soon as {@link writeNow} returns: a base
 * backup compressed on the backup host then costs no allocation per chunk (zstd-napi's stream
 * allocates an output buffer per call, and the garbage collector took more time than zstd
 * itself). With `workers` > 0 libzstd compresses in that many threads of its own.
 */
export class ZstdFileWriter {
  readonly #path: string;
  readonly #fd: number;
  readonly #context: InstanceType<ZstdBinding['CCtx']>;
  readonly #binding: ZstdBinding;
  readonly #output = Buffer.allocUnsafe(OUTPUT_SIZE);
  #filled = 0;
  #closed = false;

  private constructor(path: string, binding: ZstdBinding, level: number, workers: number) {
    this.#path = path;
    this.#binding = binding;
    this.#context = new binding.CCtx();
    this.#context.setParameter(binding.CParameter.compressionLevel, level);
    this.#context.setParameter(binding.CParameter.checksumFlag, 1);
    if (workers > 0) this.#context.setParameter(binding.CParameter.nbWorkers, workers);
    try {
      this.#fd = openSync(path, 'w', 0o600);
    } catch (error) {
      throw ioError('cannot write backup archive', path, error);
    }
  }

  /**
   * Creates the file. `level` defaults to zstd's default for barkeep (see compression-levels).
   *
   * @throws BarkeepError `io` naming the file when it cannot be created.
   */
  static async open(path: string, level?: number, workers = 0): Promise<ZstdFileWriter> {
    const binding = await loadZstdBinding();
    return new ZstdFileWriter(path, binding, resolveLevel('zstd', level) ?? 3, workers);
  }

  /**
   * Compresses `chunk` into the file; the chunk is no longer needed when this returns.
   *
   * @throws BarkeepError `io` naming the file when it cannot be written.
   */
  writeNow(chunk: Uint8Array): void {
    let input = chunk;
    try {
      while (input.length > 0) {
        const [, produced, consumed] = this.#compress(input, this.#binding.EndDirective.continue);
        this.#filled += produced;
        input = input.subarray(consumed);
      }
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /**
   * Ends the frame, writes what is left and closes the file (not fsynced: the backup syncs its
   * files before it is done).
   *
   * @throws BarkeepError `io` naming the file when it cannot be written.
   */
  async end(): Promise<void> {
    const empty = new Uint8Array(0);
    try {
      for (;;) {
        const [remaining, produced] = this.#compress(empty, this.#binding.EndDirective.end);
        this.#filled += produced;
        if (remaining === 0) break;
      }
      this.#writeOut();
    } catch (error) {
      this.abort();
      throw error;
    }
    this.#close();
  }

  /** Closes the file after a failure (what was written stays as it is). */
  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      closeSync(this.#fd);
    } catch {
      // already failing: the first error is the one reported
    }
  }

  #compress(input: Uint8Array, directive: number): [number, number, number] {
    if (OUTPUT_SIZE - this.#filled < MIN_ROOM) this.#writeOut();
    try {
      return this.#context.compressStream2(this.#output.subarray(this.#filled), input, directive);
    } catch (error) {
      throw ioError('cannot compress backup archive', this.#path, error);
    }
  }

  #writeOut(): void {
    let done = 0;
    try {
      while (done < this.#filled)
        done += writeSync(this.#fd, this.#output, done, this.#filled - done);
    } catch (error) {
      throw ioError('cannot write backup archive', this.#path, error);
    }
    this.#filled = 0;
  }

  #close(): void {
    this.#closed = true;
    try {
      closeSync(this.#fd);
    } catch (error) {
      throw ioError('cannot close backup archive', this.#path, error);
    }
  }
}
