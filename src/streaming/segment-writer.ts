import { fdatasyncSync, writeSync, writevSync } from 'node:fs';
import { type FileHandle, open, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { Logger } from '../logging/logger.ts';
import { fsyncDirectory } from '../storage/durable-write.ts';
import type { Lsn } from '../wal/lsn.ts';
import { segmentName } from '../wal/segment-name.ts';
import type { TimelineId } from '../wal/timeline.ts';
import {
  lastSegmentNumber,
  nextSegment,
  type SegmentNumber,
  segmentOffsetOfLsn,
  segmentOfLsn,
  segmentStartLsn,
} from '../wal/wal-segment.ts';
import type { WalSegmentSize } from '../wal/wal-segment-size.ts';
import { SegmentPreparer, zeroFillTo } from './segment-preparer.ts';

interface OpenSegment {
  readonly timeline: TimelineId;
  readonly segno: SegmentNumber;
  readonly name: string;
  readonly path: string;
  readonly handle: FileHandle;
}

/**
 * Writes `data` at `offset` of the file, looping over short writes. Synchronous on purpose: a
 * receiver does nothing else while it writes, and a thread-pool round trip per message (a
 * stream of small messages under commit load) cost the receiver more CPU than the writes.
 */
function writeFully(fd: number, data: Buffer, offset: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
}

/**
 * Writes streamed WAL into `streaming/`: the segment being received is `<name>.partial`,
 * zero-filled to its full size when created, and written at the byte offset its LSN gives (so a
 * restart that streams a segment again rewrites the same bytes in place). A segment that
 * reaches its full size is fsynced and renamed to its plain name, and its directory fsynced,
 * before the next `.partial` begins.
 * The first segment of a new timeline is started from the previous timeline's copy of that
 * segment up to the switch point, as PostgreSQL itself does, so it is byte-identical to the
 * server's file.
 */
export class SegmentWriter {
  readonly #directory: string;
  readonly #segmentSize: WalSegmentSize;
  readonly #logger: Logger;
  #current: OpenSegment | undefined;
  /** The next segment's file, made ready in the background. */
  readonly #preparer: SegmentPreparer;
  /** The fsync and close of the segment last set aside (closed or completed), until done. */
  #settling: Promise<void> | undefined;

  constructor(directory: string, segmentSize: WalSegmentSize, logger: Logger) {
    this.#directory = directory;
    this.#segmentSize = segmentSize;
    this.#logger = logger;
    this.#preparer = new SegmentPreparer(directory, segmentSize, logger);
  }

  /** The `.partial` being written, if any. */
  get currentPartial(): string | undefined {
    return this.#current ? `${this.#current.name}.partial` : undefined;
  }

  /** Writes WAL bytes that start at `lsn` on `timeline`, splitting them at segment boundaries. */
  async write(timeline: TimelineId, lsn: Lsn, data: Buffer): Promise<void> {
    let position = lsn;
    let rest = data;
    while (rest.length > 0) {
      const segno = segmentOfLsn(position, this.#segmentSize);
      const offset = segmentOffsetOfLsn(position, this.#segmentSize);
      const length = Math.min(rest.length, this.#segmentSize - offset);
      const segment = await this.#segmentFor(timeline, segno, offset);
      try {
        writeFully(segment.handle.fd, rest.subarray(0, length), offset);
      } catch (error) {
        throw ioError('cannot write streamed WAL', `${segment.path}.partial`, error);
      }
      if (offset + length === this.#segmentSize) await this.#complete();
      rest = rest.subarray(length);
      position = (position + BigInt(length)) as Lsn;
    }
  }

  /**
   * Whether `length` bytes starting at `lsn` fall inside the `.partial` already open without
   * reaching its end: such bytes can be written by `writeNow()`, synchronously and without a
   * copy. Anything else (another segment, a new file, a segment's completion) needs `write()`.
   */
  fitsOpenSegment(timeline: TimelineId, lsn: Lsn, length: number): boolean {
    const current = this.#current;
    return (
      current !== undefined &&
      current.timeline === timeline &&
      segmentOfLsn(lsn, this.#segmentSize) === current.segno &&
      segmentOffsetOfLsn(lsn, this.#segmentSize) + length < this.#segmentSize
    );
  }

  /**
   * Writes contiguous pieces of WAL starting at `lsn` into the open `.partial` with one
   * system call: the messages of one socket read under commit load (a few hundred bytes each),
   * written while they are still views into the receive buffer. The caller has checked
   * `fitsOpenSegment()` for the whole run.
   */
  writeNow(timeline: TimelineId, lsn: Lsn, pieces: readonly Buffer[], length: number): void {
    const current = this.#current;
    if (!current || !this.fitsOpenSegment(timeline, lsn, length))
      throw new Error(`writeNow outside the open segment at ${lsn}`);
    const offset = segmentOffsetOfLsn(lsn, this.#segmentSize);
    try {
      // One writev; whatever it left (a short write) is finished piece by piece.
      const total = pieces.length === 1 ? 0 : writevSync(current.handle.fd, pieces, offset);
      let at = 0;
      for (const piece of pieces) {
        const end = at + piece.length;
        if (total < end)
          writeFully(
            current.handle.fd,
            piece.subarray(Math.max(0, total - at)),
            offset + Math.max(total, at),
          );
        at = end;
      }
    } catch (error) {
      throw ioError('cannot write streamed WAL', `${current.path}.partial`, error);
    }
  }

  /**
   * fsyncs the open `.partial` right away, as `flush()` does, when no segment is being set
   * aside in the background; returns false (nothing done) when one is: then `flush()`, which
   * waits for it, is the way.
   */
  flushNow(): boolean {
    if (this.#settling) return false;
    if (!this.#current) return true;
    try {
      fdatasyncSync(this.#current.handle.fd);
    } catch (error) {
      throw ioError('cannot flush streamed WAL', `${this.#current.path}.partial`, error);
    }
    return true;
  }

  /**
   * fsyncs the `.partial` being written (synchronously, like the writes): what a flush position
   * may promise. A segment being set aside meanwhile (completed or closed by a concurrent write)
   * is waited for: its fsync is what makes the bytes written before it durable.
   */
  async flush(): Promise<void> {
    await this.#settling;
    if (!this.#current) return;
    try {
      fdatasyncSync(this.#current.handle.fd);
    } catch (error) {
      throw ioError('cannot flush streamed WAL', `${this.#current.path}.partial`, error);
    }
  }

  /**
   * Flushes and closes the current `.partial` (it stays a `.partial`), and removes the next
   * segment's prepared file if one was made.
   */
  async close(): Promise<void> {
    await this.#closeCurrent();
    await this.#preparer.discard();
  }

  async #closeCurrent(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    this.#current = undefined;
    await this.#setAside(current);
  }

  /** fsyncs and closes a segment no longer written; `flush()` waits until that is done. */
  #setAside(segment: OpenSegment): Promise<void> {
    const settling: Promise<void> = (async () => {
      try {
        await segment.handle.datasync();
      } finally {
        await segment.handle.close();
      }
    })().then(() => {
      // Done and durable: flushNow() may fsync without waiting (a failure stays for flush()).
      if (this.#settling === settling) this.#settling = undefined;
    });
    this.#settling = settling;
    return settling;
  }

  async #segmentFor(
    timeline: TimelineId,
    segno: SegmentNumber,
    firstOffset: number,
  ): Promise<OpenSegment> {
    const current = this.#current;
    if (current && current.timeline === timeline && current.segno === segno) return current;
    await this.#closeCurrent();
    const name = segmentName(timeline, segno, this.#segmentSize);
    const path = join(this.#directory, name);
    let handle: FileHandle;
    let created = false;
    try {
      handle = await open(`${path}.partial`, 'r+');
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT')
        throw ioError('cannot open streamed WAL', `${path}.partial`, error);
      handle = await this.#create(name, `${path}.partial`);
      created = true;
    }
    await this.#padToSegmentSize(handle, `${path}.partial`);
    if (created) await fsyncDirectory(this.#directory);
    this.#current = { timeline, segno, name, path, handle };
    if (created && firstOffset > 0) await this.#seedFromEarlierTimeline(this.#current, firstOffset);
    if (segno < lastSegmentNumber(this.#segmentSize)) {
      const next = nextSegment(segno, this.#segmentSize);
      this.#preparer.prepare(segmentName(timeline, next, this.#segmentSize));
    }
    return this.#current;
  }

  /** A new `.partial`: the prepared file renamed into place, or else a new empty file. */
  async #create(name: string, partial: string): Promise<FileHandle> {
    try {
      const prepared = await this.#preparer.take(name);
      if (prepared) {
        await rename(prepared, partial);
        return await open(partial, 'r+');
      }
      return await open(partial, 'w+', 0o600);
    } catch (error) {
      throw ioError('cannot create streamed WAL', partial, error);
    }
  }

  /**
   * Zero-fills a `.partial` to the full segment size before WAL is written into it, as
   * pg_receivewal and PostgreSQL's walreceiver do: the file's size then never changes while it
   * is streamed into, so each fdatasync writes the new WAL only, not a new size through the
   * file system's journal (about a third of the receiver's system time under commit load). A
   * shorter `.partial` left by an earlier version is padded the same way.
   */
  async #padToSegmentSize(handle: FileHandle, path: string): Promise<void> {
    try {
      await zeroFillTo(handle, this.#segmentSize);
    } catch (error) {
      throw ioError('cannot zero-fill streamed WAL', path, error);
    }
  }

  /** Copies the bytes before a timeline switch point from the previous timeline's segment file. */
  async #seedFromEarlierTimeline(segment: OpenSegment, upTo: number): Promise<void> {
    const suffix = segment.name.slice(8);
    const candidates = (await readdir(this.#directory))
      .filter((file) => file.slice(8, 24) === suffix && file.slice(0, 8) < segment.name.slice(0, 8))
      .filter((file) => file.length === 24 || file.endsWith('.partial'))
      .sort()
      .reverse();
    const source = candidates[0];
    if (!source) {
      this.#logger.warn(
        `${segment.name}: the segment starts at offset ${upTo} and no earlier timeline's copy is in ${this.#directory}; its first bytes stay zero`,
      );
      return;
    }
    const input = await open(join(this.#directory, source), 'r');
    try {
      const buffer = Buffer.alloc(upTo);
      const { bytesRead } = await input.read(buffer, 0, upTo, 0);
      await segment.handle.write(buffer, 0, bytesRead, 0);
      this.#logger.info(
        `${segment.name}: started from ${source} up to the timeline switch at offset ${upTo}`,
      );
    } finally {
      await input.close();
    }
  }

  async #complete(): Promise<void> {
    const current = this.#current!;
    this.#current = undefined;
    await this.#setAside(current);
    try {
      await rename(`${current.path}.partial`, current.path);
    } catch (error) {
      throw ioError('cannot complete streamed segment', current.path, error);
    }
    await fsyncDirectory(this.#directory);
    this.#logger.debug(`completed ${current.name}`);
  }
}

/** The segment start of `lsn`: where a restart streams from. */
export function segmentStartOf(lsn: Lsn, segmentSize: WalSegmentSize): Lsn {
  return segmentStartLsn(segmentOfLsn(lsn, segmentSize), segmentSize);
}
