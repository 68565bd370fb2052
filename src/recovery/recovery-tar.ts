import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { extract, type Header, type Pack, pack } from 'tar-stream';
import { createDecompressStream } from '../compression/compress-stream.ts';
import { detectCompression } from '../compression/compression-format.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { CopyResult } from './copy-tree.ts';

/** A writable tar entry as tar-stream hands it out (a streamx Writable). */
type EntrySink = ReturnType<Pack['entry']>;

/** What an entry is made of. */
type EntryHeader = Partial<Header> & Pick<Header, 'name'>;

/**
 * Builds a tar stream entry by entry, for a consumer that reads `stream` (ssh's stdin): every
 * method resolves once its entry is in the stream, and file bodies are written only as fast as
 * the consumer reads, so memory stays bounded whatever the sizes. Counts the regular files and
 * their bytes.
 */
export class TarWriter {
  /** The tar bytes; iterate it (or pipe it) to consume them. */
  readonly stream: Pack = pack();
  #files = 0;
  #bytes = 0;

  constructor() {
    // A failure reaches the consumer through its iteration and the producer through its
    // entries; the event itself must not become an uncaught exception.
    this.stream.on('error', () => undefined);
  }

  /** Regular files written so far and their bytes. */
  get written(): CopyResult {
    return { files: this.#files, bytes: this.#bytes };
  }

  /** A directory entry (`name` relative, e.g. `.` for the extraction directory itself). */
  async directory(name: string, mode: number, mtime?: Date): Promise<void> {
    await this.#void({ name, type: 'directory', mode: mode & 0o7777, ...(mtime ? { mtime } : {}) });
  }

  /** A symbolic link entry. */
  async symlink(name: string, target: string, mtime?: Date): Promise<void> {
    await this.#void({
      name,
      type: 'symlink',
      linkname: target,
      mode: 0o777,
      ...(mtime ? { mtime } : {}),
    });
  }

  /** A regular file whose whole content is in memory (a setting file, a WAL segment). */
  async buffer(name: string, mode: number, content: Buffer, mtime?: Date): Promise<void> {
    await this.file(name, mode, content.length, [content], mtime);
  }

  /** A regular file of `size` bytes read from `body` as the consumer takes them. */
  async file(
    name: string,
    mode: number,
    size: number,
    body: AsyncIterable<unknown> | Iterable<Buffer>,
    mtime?: Date,
  ): Promise<void> {
    const header: EntryHeader = {
      name,
      type: 'file',
      mode: mode & 0o7777,
      size,
      ...(mtime ? { mtime } : {}),
    };
    let sink: EntrySink | undefined;
    const done = new Promise<void>((resolve, reject) => {
      sink = this.stream.entry(header, (error) => (error ? reject(error) : resolve()));
    });
    done.catch(() => undefined);
    const entry = sink!;
    for await (const chunk of body) {
      if (entry.destroyed) break;
      if (!entry.write(chunk as Buffer)) await writable(entry);
    }
    entry.end(undefined);
    await done;
    this.#files++;
    this.#bytes += size;
  }

  /** Ends the archive (the two zero blocks) once every entry is written. */
  finalize(): void {
    this.stream.finalize();
  }

  /** Stops the stream: pending and later entries fail with `error`. */
  destroy(error?: Error): void {
    this.stream.destroy(error);
  }

  async #void(header: EntryHeader): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.entry(header, (error) => (error ? reject(error) : resolve()));
    });
  }
}

/** Resolves when the sink takes more data again (or is gone, which the next write reports). */
function writable(sink: EntrySink): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      sink.off('drain', settle);
      sink.off('close', settle);
      resolve();
    };
    sink.on('drain', settle);
    sink.on('close', settle);
  });
}

/** Decides, by its path relative to the top (no `./`, no trailing `/`), to leave a member out. */
export type SkipMember = (relativePath: string) => boolean;

/**
 * Writes a directory tree (a plain backup's data or tablespace) into `writer` under `prefix`
 * (`''` for the top): directories with their modes, files streamed from disk, symbolic links as
 * they are. Members `skip` names are left out, with everything under them.
 */
export async function packDirectory(
  writer: TarWriter,
  source: string,
  skip: SkipMember = () => false,
): Promise<void> {
  const walk = async (directory: string, relative: string): Promise<void> => {
    let entries: string[];
    try {
      entries = (await readdir(directory)).sort();
    } catch (error) {
      throw ioError('cannot read backup directory', directory, error);
    }
    for (const name of entries) {
      const path = join(directory, name);
      const member = relative === '' ? name : `${relative}/${name}`;
      if (skip(member)) continue;
      let info: Awaited<ReturnType<typeof lstat>>;
      try {
        info = await lstat(path);
      } catch (error) {
        throw ioError('cannot read backup file', path, error);
      }
      if (info.isDirectory()) {
        await writer.directory(member, info.mode, info.mtime);
        await walk(path, member);
      } else if (info.isSymbolicLink()) {
        await writer.symlink(member, await readlink(path), info.mtime);
      } else if (info.isFile()) {
        const body = createReadStream(path, { highWaterMark: 1024 * 1024 });
        try {
          await writer.file(member, info.mode, info.size, body, info.mtime);
        } catch (error) {
          body.destroy();
          if (error instanceof BarkeepError || errnoCode(error) === undefined) throw error;
          throw ioError('cannot read backup file', path, error);
        }
      }
    }
  };
  await walk(source, '');
}

/**
 * Copies the members of a backup archive (`base.tar.zst`, `16385.tar.gz`, plain `.tar`),
 * decompressed as they are read, into `writer`: regular files streamed, directories and
 * symbolic links as they are, `skip`ped members left out. `capture` names members whose content
 * is handed back instead of written (small files the caller rewrites: postgresql.auto.conf).
 */
export async function repackArchive(
  writer: TarWriter,
  archive: string,
  skip: SkipMember,
  capture: ReadonlySet<string> = new Set(),
): Promise<Map<string, Buffer>> {
  const captured = new Map<string, Buffer>();
  const format = detectCompression(await firstBytes(archive));
  const extractor = extract();
  const input = createReadStream(archive, { highWaterMark: 1024 * 1024 });
  const source =
    format === 'none'
      ? input
      : input.pipe(await createDecompressStream(format, { source: archive }));
  input.once('error', (error) =>
    extractor.destroy(ioError('cannot read backup archive', archive, error)),
  );
  source.once('error', (error: Error) => extractor.destroy(error));
  source.pipe(extractor as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extractor) {
      const header = entry.header;
      const member = header.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      const drain = async () => {
        for await (const _ of entry) {
          // not kept
        }
      };
      if (member === '' || member === '.' || skip(member)) {
        await drain();
        continue;
      }
      const mtime = header.mtime;
      if (capture.has(member) && header.type === 'file') {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        captured.set(member, Buffer.concat(chunks));
      } else if (header.type === 'directory') {
        await drain();
        await writer.directory(member, header.mode ?? 0o700, mtime);
      } else if (header.type === 'symlink') {
        await drain();
        await writer.symlink(member, header.linkname ?? '', mtime);
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        await writer.file(member, header.mode ?? 0o600, header.size ?? 0, entry, mtime);
      } else {
        // Hard links, devices, FIFOs: never part of a PostgreSQL data directory.
        await drain();
      }
    }
  } catch (error) {
    input.destroy();
    if (error instanceof BarkeepError) throw error;
    throw new BarkeepError('corruptArchive', {
      what: 'cannot read backup archive',
      subject: archive,
      why: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
  return captured;
}

/** `base.tar.zst`, `16385.tar.gz`... in a compressed backup's data/. */
export async function findBackupArchive(directory: string, stem: string): Promise<string> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    throw ioError('cannot read backup directory', directory, error);
  }
  const name = names.find((candidate) => candidate.startsWith(`${stem}.tar`));
  if (!name) {
    throw new BarkeepError('operationFailed', {
      what: 'incomplete backup',
      subject: directory,
      why: `there is no ${stem}.tar archive`,
      hint: 'Check the backup with verify-backup.',
    });
  }
  return join(directory, name);
}

async function firstBytes(path: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const stream = createReadStream(path, { start: 0, end: 15 });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk) => chunks.push(chunk as Buffer));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', (error) => reject(ioError('cannot read backup archive', path, error)));
  });
}
