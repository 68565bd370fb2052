import { close, closeSync, fdatasync } from 'node:fs';
import { ioError } from '../errors/system-error.ts';

/** Unflushed bytes of one file after which its writeback is started (an fdatasync in the background). */
const FLUSH_EVERY = 32 * 1024 * 1024;
/** A file released with at least this much unflushed gets one last background flush before its close. */
const FLUSH_ON_RELEASE = 4 * 1024 * 1024;
/** At most this many background flushes at once: the thread pool stays free for other work. */
const MAX_IN_FLIGHT = 2;

/** Starts flushing a descriptor's data to disk; calls back once done (`fs.fdatasync`'s shape). */
export type FlushFunction = (
  fd: number,
  callback: (error: NodeJS.ErrnoException | null) => void,
) => void;

/** A file written through the write-behind: how much is unflushed, whether a flush runs. */
interface Tracked {
  readonly path: string;
  unflushed: number;
  flushing: boolean;
  /** Closed by its writer while a flush ran: the descriptor is closed when the flush ends. */
  released: boolean;
}

/**
 * Starts the writeback of files while they are still being written, so that the fsync pass at
 * the end of a backup finds most of the data already on disk. Linux keeps gigabytes of dirty
 * pages in memory before it writes them (dirty_background_ratio), so a backup that fsyncs
 * everything at the end (as pg_basebackup does) spends a third of its time in that last pass;
 * here, every {@link FLUSH_EVERY} bytes of a file, an `fdatasync` runs on the thread pool while
 * the writer goes on (never waiting for it). This is not the durability step: the caller still
 * fsyncs every file before it calls anything done. A flush that fails is not forgotten: the
 * kernel reports a writeback error to one fsync only, so it is kept and thrown by
 * {@link settle} (and by the next {@link wrote}).
 */
export class WriteBehind {
  readonly #flushFile: FlushFunction;
  readonly #files = new Map<number, Tracked>();
  #inFlight = 0;
  #failure: Error | undefined;
  readonly #idle: (() => void)[] = [];

  /** `flush` is `fs.fdatasync` (another function only in tests, to watch or delay it). */
  constructor(flush: FlushFunction = fdatasync) {
    this.#flushFile = flush;
  }

  /** Starts tracking a descriptor just opened for writing. */
  opened(fd: number, path: string): void {
    this.#files.set(fd, { path, unflushed: 0, flushing: false, released: false });
  }

  /**
   * Counts `bytes` written to `fd`; starts its writeback when enough is unflushed.
   *
   * @throws BarkeepError `io` when an earlier background flush failed.
   */
  wrote(fd: number, bytes: number): void {
    if (this.#failure) throw this.#failure;
    const file = this.#files.get(fd);
    if (!file) return;
    file.unflushed += bytes;
    if (file.unflushed >= FLUSH_EVERY) this.#flush(fd, file);
  }

  /**
   * The writer is done with `fd`: it is closed now, or when its running flush ends (a
   * descriptor is never closed under a flush, whose number could be reused meanwhile).
   */
  release(fd: number): void {
    const file = this.#files.get(fd);
    if (file && !file.flushing && file.unflushed >= FLUSH_ON_RELEASE) this.#flush(fd, file);
    if (file?.flushing) {
      file.released = true;
      return;
    }
    this.#files.delete(fd);
    closeSync(fd);
  }

  /**
   * Waits until no background flush runs and every released descriptor is closed.
   *
   * @throws BarkeepError `io` naming the file whose flush failed.
   */
  async settle(): Promise<void> {
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    if (this.#failure) throw this.#failure;
  }

  #flush(fd: number, file: Tracked): void {
    if (file.flushing || this.#inFlight >= MAX_IN_FLIGHT) return;
    file.flushing = true;
    file.unflushed = 0;
    this.#inFlight += 1;
    this.#flushFile(fd, (error) => {
      if (error && !this.#failure)
        this.#failure = ioError('cannot flush backup file', file.path, error);
      file.flushing = false;
      if (file.released) {
        this.#files.delete(fd);
        close(fd, (closeError) => {
          if (closeError && !this.#failure)
            this.#failure = ioError('cannot close backup file', file.path, closeError);
          this.#done();
        });
        return;
      }
      this.#done();
    });
  }

  #done(): void {
    this.#inFlight -= 1;
    if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
