import { type FileHandle, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.ts';

/** How many zero bytes are written at a time. */
const ZERO_CHUNK = 1024 * 1024;
/** A prepared file's name: hidden (a dot first) and not a WAL file name, so no scan takes it. */
const PREPARED = /^\..*\.partial\.prepared$/;

/** Writes zeros into the file from its current size up to `size` (nothing if it is that long). */
export async function zeroFillTo(handle: FileHandle, size: number): Promise<void> {
  let at = (await handle.stat()).size;
  if (at >= size) return;
  const zeros = Buffer.alloc(Math.min(ZERO_CHUNK, size - at));
  while (at < size) {
    const { bytesWritten } = await handle.write(zeros, 0, Math.min(zeros.length, size - at), at);
    at += bytesWritten;
  }
}

/**
 * Prepares the file of the next segment in the background while the current one is streamed
 * into, as PostgreSQL preallocates WAL segments: `.<name>.partial.prepared`, zero-filled to the
 * segment size and fsynced, which the writer renames to `<name>.partial` when the stream reaches
 * that segment. The 16 MiB of zeros and their fsync then cost nothing at the switch, where they
 * would delay the first flush position reported from the new segment. A preparation that fails
 * is only logged: the writer then creates the file itself, as without it.
 */
export class SegmentPreparer {
  readonly #directory: string;
  readonly #segmentSize: number;
  readonly #logger: Logger;
  #pending: { name: string; ready: Promise<string | undefined> } | undefined;

  constructor(directory: string, segmentSize: number, logger: Logger) {
    this.#directory = directory;
    this.#segmentSize = segmentSize;
    this.#logger = logger;
  }

  /** Starts preparing the file of segment `name` (an earlier preparation not taken is removed). */
  prepare(name: string): void {
    if (this.#pending?.name === name) return;
    const path = join(this.#directory, `.${name}.partial.prepared`);
    const ready = (async () => {
      await this.#removeStale(path);
      const handle = await open(path, 'w', 0o600);
      try {
        await zeroFillTo(handle, this.#segmentSize);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      return path;
    })().catch((error: unknown) => {
      this.#logger.debug(`cannot prepare ${path}: ${(error as Error).message}`);
      return undefined;
    });
    this.#pending = { name, ready };
  }

  /** The prepared file for segment `name` once ready, or undefined when there is none. */
  async take(name: string): Promise<string | undefined> {
    const pending = this.#pending;
    if (pending?.name !== name) return undefined;
    this.#pending = undefined;
    return pending.ready;
  }

  /** Removes a prepared file nobody took (the stream stopped, or changed timeline). */
  async discard(): Promise<void> {
    const pending = this.#pending;
    this.#pending = undefined;
    const path = await pending?.ready;
    if (path) await rm(path, { force: true });
  }

  /** Prepared files other than `keep`: left by a preparation not taken or by a killed receiver. */
  async #removeStale(keep: string): Promise<void> {
    for (const name of await readdir(this.#directory)) {
      const path = join(this.#directory, name);
      if (PREPARED.test(name) && path !== keep) await rm(path, { force: true });
    }
  }
}
