import { once } from 'node:events';
import { type FileHandle, mkdir, open, symlink, utimes } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { ioError } from '../errors/system-error.ts';

/** What an extracted archive produced. */
export interface ExtractedArchive {
  /** Regular files written, relative to the target directory. */
  readonly files: string[];
  /** Bytes of file content written. */
  readonly bytes: number;
}

/** Rewrites a symbolic link's target while extracting (pg_tblspc links point at the backup's own copy). */
export type LinkRewriter = (path: string, target: string) => string;

/**
 * Unpacks a tar stream into a directory as the bytes arrive, with bounded memory: `write()`
 * resolves only when the parser has room again, and each entry's data is written before the
 * next is read. Files are created with their mode and modification time; nothing is fsynced
 * here (the backup syncs every file once at the end, which costs far less than a sync per
 * file). Paths escaping the target directory are refused.
 */
export class TarToDirectory {
  readonly #target: string;
  readonly #rewriteLink: LinkRewriter;
  readonly #parser = extract();
  readonly #files: string[] = [];
  readonly #done: Promise<void>;
  /** Aborted once `#done` settles. */
  readonly #settled = new AbortController();
  #bytes = 0;
  #failure: Error | undefined;

  constructor(target: string, rewriteLink: LinkRewriter = (_path, linkTarget) => linkTarget) {
    this.#target = target;
    this.#rewriteLink = rewriteLink;
    this.#parser.on('entry', (header, stream, next) => {
      this.#entry(header, stream as unknown as Readable).then(
        () => next(),
        (error: unknown) => {
          this.#failure ??= error as Error;
          stream.resume();
          next(error as Error);
        },
      );
    });
    this.#done = new Promise((resolve, reject) => {
      this.#parser.on('finish', resolve);
      this.#parser.on('error', (error: Error) => reject(this.#failure ?? error));
    });
    // Handled here once (so an early rejection is never unhandled before end() awaits it), and
    // a wait for 'drain' stops when the parser is done either way.
    const settle = () => this.#settled.abort();
    this.#done.then(settle, settle);
  }

  /**
   * Feeds the next bytes of the archive; resolves when more may be written. The wait for
   * 'drain' holds no reaction on the long-lived `#done` (a race against it per write would keep
   * one per write alive until the archive ends: memory growing with the cluster's size).
   */
  async write(chunk: Buffer): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#parser.write(chunk)) return;
    try {
      await once(this.#parser, 'drain', { signal: this.#settled.signal });
    } catch (error) {
      if (!this.#settled.signal.aborted) throw this.#failure ?? error;
      await this.#done;
    }
  }

  /** Ends the archive and waits for its last entry to be written. */
  async end(): Promise<ExtractedArchive> {
    this.#parser.end(undefined);
    await this.#done;
    if (this.#failure) throw this.#failure;
    return { files: this.#files, bytes: this.#bytes };
  }

  async #entry(header: Header, stream: Readable): Promise<void> {
    const relative = normalize(header.name).replace(/\/+$/, '');
    if (relative.startsWith(`..${sep}`) || relative === '..' || relative.startsWith(sep)) {
      throw new BarkeepError('operationFailed', {
        what: 'refused archive entry',
        subject: header.name,
        why: 'its path leaves the backup directory',
      });
    }
    const path = join(this.#target, relative);
    const mode = (header.mode ?? 0o600) & 0o7777;
    try {
      switch (header.type) {
        case 'directory':
          await mkdir(path, { recursive: true, mode: mode || 0o700 });
          stream.resume();
          return;
        case 'symlink':
          await mkdir(dirname(path), { recursive: true, mode: 0o700 });
          await symlink(this.#rewriteLink(relative, header.linkname ?? ''), path);
          stream.resume();
          return;
        case 'file':
          await this.#file(path, mode, header, stream);
          this.#files.push(relative);
          return;
        default:
          stream.resume();
      }
    } catch (error) {
      if (error instanceof BarkeepError) throw error;
      throw ioError('cannot write backup file', path, error);
    }
  }

  async #file(path: string, mode: number, header: Header, stream: Readable): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle: FileHandle = await open(path, 'w', mode || 0o600);
    try {
      for await (const chunk of stream) {
        await handle.write(chunk as Buffer);
        this.#bytes += (chunk as Buffer).length;
      }
    } finally {
      await handle.close();
    }
    if (header.mtime) await utimes(path, header.mtime, header.mtime);
  }
}
