import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ioError } from '../errors/system-error.ts';

/** What one file turned out to be once made durable (and checksummed when asked). */
export interface FileDigest {
  readonly size: number;
  readonly mtimeMs: number;
  /** Lower-case hex SHA-256; undefined when not asked for. */
  readonly sha256: string | undefined;
}

/** One file for the pool. */
export interface DigestRequest {
  /** The file's path as bytes (names need not be UTF-8). */
  readonly path: Buffer;
  /** Compute its SHA-256. */
  readonly hash: boolean;
  /** fsync it (after reading). */
  readonly sync: boolean;
}

interface Reply {
  readonly id: number;
  readonly size?: number;
  readonly mtimeMs?: number;
  readonly sha256?: string;
  readonly error?: { readonly code?: string; readonly message: string };
}

/**
 * The worker's code, evaluated as a CommonJS script (the bundle is one file, so the worker
 * cannot be a module of its own): for each request it opens the file, reads it in 1 MiB pieces
 * into SHA-256 when asked, fsyncs it when asked, and answers with size and time from fstat.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const buffer = Buffer.allocUnsafe(1024 * 1024);
parentPort.on('message', (request) => {
  let fd;
  try {
    fd = fs.openSync(Buffer.from(request.path), 'r');
    const stats = fs.fstatSync(fd);
    let sha256;
    if (request.hash) {
      const hash = createHash('sha256');
      for (;;) {
        const read = fs.readSync(fd, buffer, 0, buffer.length, null);
        if (read === 0) break;
        hash.update(buffer.subarray(0, read));
      }
      sha256 = hash.digest('hex');
    }
    if (request.sync) fs.fsyncSync(fd);
    parentPort.postMessage({ id: request.id, size: stats.size, mtimeMs: stats.mtimeMs, sha256 });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: { code: error.code, message: error.message } });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
});
`;

/**
 * A pool of worker threads that checksum and fsync files, so a backup's files are read once
 * after the copy with every core busy (the main thread would hash at one core's speed). Files
 * can be submitted while copying goes on; {@link close} ends the threads.
 */
export class FileDigestPool {
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #queue: { id: number; request: DigestRequest }[] = [];
  readonly #pending = new Map<
    number,
    { resolve: (digest: FileDigest) => void; reject: (error: unknown) => void; path: Buffer }
  >();
  #nextId = 0;

  /** Starts `threads` workers (default: one per core, at most 8). */
  constructor(threads = Math.min(8, availableParallelism())) {
    for (let index = 0; index < Math.max(1, threads); index++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on('message', (reply: Reply) => this.#answer(worker, reply));
      worker.on('error', (error) => this.#failAll(error));
      worker.unref();
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  /** Queues one file; resolves with its size, time and checksum. */
  digest(request: DigestRequest): Promise<FileDigest> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, reject, path: request.path });
      this.#queue.push({ id, request });
      this.#dispatch();
    });
  }

  /** Stops every worker; pending requests are rejected. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
    this.#failAll(new Error('the checksum pool was closed'));
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop()!;
      const { id, request } = this.#queue.shift()!;
      worker.ref();
      worker.postMessage({ id, path: request.path, hash: request.hash, sync: request.sync });
    }
  }

  #answer(worker: Worker, reply: Reply): void {
    worker.unref();
    this.#idle.push(worker);
    const pending = this.#pending.get(reply.id);
    this.#pending.delete(reply.id);
    if (pending) {
      if (reply.error) {
        const error = Object.assign(new Error(reply.error.message), { code: reply.error.code });
        pending.reject(ioError('cannot read backup file', pending.path.toString('utf8'), error));
      } else {
        pending.resolve({
          size: reply.size ?? 0,
          mtimeMs: reply.mtimeMs ?? 0,
          sha256: reply.sha256,
        });
      }
    }
    this.#dispatch();
  }

  #failAll(error: unknown): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#queue.length = 0;
  }
}
