import { futimesSync, mkdirSync, openSync, symlinkSync, writeSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { ioError } from '../errors/system-error.ts';
import { WriteBehind } from '../storage/write-behind.ts';
import { parsePaxRecords, parseTarHeader, TAR_BLOCK, type TarHeader } from './tar-header.ts';

/** What an extracted archive produced. */
export interface ExtractedArchive {
  /** Regular files written, relative to the target directory. */
  readonly files: string[];
  /** Bytes of file content written. */
  readonly bytes: number;
}

/** Rewrites a symbolic link's target while extracting (pg_tblspc links point at the backup's own copy). */
export type LinkRewriter = (path: string, target: string) => string;

/** The file being written: its descriptor, path and modification time. */
interface OpenFile {
  readonly fd: number;
  readonly path: string;
  readonly relative: string;
  readonly mtime: number;
}

/**
 * Unpacks a tar stream into a directory as the bytes arrive. Synchronous on purpose, as
 * pg_basebackup does it: each chunk is parsed in place and its file data written straight from
 * the chunk, so memory stays at one 512-byte header whatever the cluster's size, and the bytes
 * are not copied or queued on their way to the kernel (a streaming tar parser with a
 * thread-pool write per piece cost the client about three times pg_basebackup's CPU). When
 * `write()` returns, the chunk is written. Files get their mode and modification time; nothing
 * is fsynced here (the backup syncs every file once at the end), but the writeback of large
 * files starts while they are written ({@link WriteBehind}), so that last pass is short. Paths
 * escaping the target directory are refused; a damaged header or an archive cut short is an
 * error.
 */
export class TarToDirectory {
  readonly #target: string;
  readonly #rewriteLink: LinkRewriter;
  readonly #files: string[] = [];
  /** Directories known to exist: one mkdir per directory, not per file. */
  readonly #directories = new Set<string>();
  readonly #header = Buffer.alloc(TAR_BLOCK);
  #headerFill = 0;
  /** Data bytes of the current entry still to come, then padding up to the next block. */
  #remaining = 0;
  #padding = 0;
  #file: OpenFile | undefined;
  /** The data of a pax or GNU long-name header, gathered; it describes the next entry. */
  #extended: { kind: TarHeader['type']; parts: Buffer[] } | undefined;
  #next: { path?: string; linkpath?: string; size?: number } = {};
  #ended = false;
  #bytes = 0;
  #failure: Error | undefined;
  readonly #writeBehind: WriteBehind;

  /** `writeBehind` starts the writeback of large files early; another one only in tests. */
  constructor(
    target: string,
    rewriteLink: LinkRewriter = (_path, linkTarget) => linkTarget,
    writeBehind = new WriteBehind(),
  ) {
    this.#target = target;
    this.#rewriteLink = rewriteLink;
    this.#writeBehind = writeBehind;
  }

  /** Unpacks the next bytes of the archive; resolves once they are written. */
  async write(chunk: Buffer): Promise<void> {
    this.writeNow(chunk);
  }

  /** `write()` without the promise: the bytes are written when it returns (or it throws). */
  writeNow(chunk: Buffer): void {
    if (this.#failure) throw this.#failure;
    try {
      this.#consume(chunk);
    } catch (error) {
      this.#failure = this.#named(error);
      this.#closeFile();
      throw this.#failure;
    }
  }

  /** Ends the archive: it must not stop inside an entry. */
  async end(): Promise<ExtractedArchive> {
    if (this.#failure) throw this.#failure;
    if (this.#remaining > 0 || this.#headerFill > 0 || this.#extended) {
      this.#closeFile();
      this.#failure = new BarkeepError('operationFailed', {
        what: 'incomplete archive',
        subject: this.#file?.path ?? this.#target,
        why: 'the tar stream ended inside an entry',
      });
      throw this.#failure;
    }
    await this.#writeBehind.settle();
    return { files: this.#files, bytes: this.#bytes };
  }

  #consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining > 0) {
        const length = Math.min(this.#remaining, chunk.length - at);
        this.#data(chunk, at, length);
        this.#remaining -= length;
        at += length;
        if (this.#remaining === 0) this.#endEntry();
      } else if (this.#padding > 0) {
        const length = Math.min(this.#padding, chunk.length - at);
        this.#padding -= length;
        at += length;
      } else if (this.#ended) {
        return; // what follows the end-of-archive block is padding
      } else {
        const length = Math.min(TAR_BLOCK - this.#headerFill, chunk.length - at);
        chunk.copy(this.#header, this.#headerFill, at, at + length);
        this.#headerFill += length;
        at += length;
        if (this.#headerFill < TAR_BLOCK) return;
        this.#headerFill = 0;
        this.#startEntry(parseTarHeader(this.#header));
      }
    }
  }

  #data(chunk: Buffer, at: number, length: number): void {
    if (this.#file) {
      let done = 0;
      while (done < length) done += writeSync(this.#file.fd, chunk, at + done, length - done);
      this.#bytes += length;
      this.#writeBehind.wrote(this.#file.fd, length);
    } else if (this.#extended) {
      this.#extended.parts.push(Buffer.from(chunk.subarray(at, at + length)));
    }
  }

  #startEntry(header: TarHeader | undefined): void {
    if (!header) {
      this.#ended = true;
      return;
    }
    const size = header.type === 'file' ? (this.#next.size ?? header.size) : header.size;
    this.#remaining = size;
    this.#padding = (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
    if (
      header.type === 'pax' ||
      header.type === 'gnu-long-name' ||
      header.type === 'gnu-long-link'
    ) {
      this.#extended = { kind: header.type, parts: [] };
      if (size === 0) this.#endEntry();
      return;
    }
    const name = this.#next.path ?? header.name;
    const linkname = this.#next.linkpath ?? header.linkname;
    this.#next = {};
    const relative = normalize(name).replace(/\/+$/, '');
    if (relative.startsWith(`..${sep}`) || relative === '..' || relative.startsWith(sep)) {
      throw new BarkeepError('operationFailed', {
        what: 'refused archive entry',
        subject: name,
        why: 'its path leaves the backup directory',
      });
    }
    const path = join(this.#target, relative);
    const mode = header.mode & 0o7777;
    try {
      if (header.type === 'directory') {
        mkdirSync(path, { recursive: true, mode: mode || 0o700 });
        this.#directories.add(path);
      } else if (header.type === 'symlink') {
        this.#directory(dirname(path));
        symlinkSync(this.#rewriteLink(relative, linkname), path);
      } else if (header.type === 'file') {
        this.#directory(dirname(path));
        const fd = openSync(path, 'w', mode || 0o600);
        this.#writeBehind.opened(fd, path);
        this.#file = { fd, path, relative, mtime: header.mtime };
        if (size === 0) this.#endEntry();
      }
    } catch (error) {
      throw ioError('cannot write backup file', path, error);
    }
  }

  #endEntry(): void {
    const file = this.#file;
    if (file) {
      this.#file = undefined;
      try {
        if (file.mtime) futimesSync(file.fd, file.mtime, file.mtime);
      } finally {
        this.#writeBehind.release(file.fd);
      }
      this.#files.push(file.relative);
      return;
    }
    const extended = this.#extended;
    if (!extended) return;
    this.#extended = undefined;
    const data = Buffer.concat(extended.parts);
    if (extended.kind === 'pax') {
      this.#next = { ...this.#next, ...parsePaxRecords(data) };
    } else {
      const end = data.indexOf(0);
      const value = data.toString('utf8', 0, end < 0 ? data.length : end);
      if (extended.kind === 'gnu-long-name') this.#next = { ...this.#next, path: value };
      else this.#next = { ...this.#next, linkpath: value };
    }
  }

  #directory(path: string): void {
    if (this.#directories.has(path)) return;
    mkdirSync(path, { recursive: true, mode: 0o700 });
    this.#directories.add(path);
  }

  #closeFile(): void {
    if (!this.#file) return;
    try {
      this.#writeBehind.release(this.#file.fd);
    } catch {
      // already failing: the first error is the one reported
    }
  }

  #named(error: unknown): Error {
    if (error instanceof BarkeepError) return error;
    const path = this.#file?.path ?? this.#target;
    if ((error as Error).name === 'TarHeaderError') {
      return new BarkeepError('operationFailed', {
        what: 'damaged archive',
        subject: this.#target,
        why: `not a valid tar stream: ${(error as Error).message}`,
      });
    }
    return ioError('cannot write backup file', path, error);
  }
}
