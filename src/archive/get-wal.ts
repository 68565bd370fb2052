import { constants } from 'node:fs';
import { access, copyFile, type FileHandle, open, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { serverLayout } from '../catalog/server-layout.ts';
import { decompressBuffer } from '../compression/compress-buffer.ts';
import { type DetectedCompression, detectCompression } from '../compression/compression-format.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';
import { readWalPageHeader } from '../wal/wal-page-header.ts';
import { storedPath } from './store-wal-file.ts';

/** Where get-wal found the file. */
export type WalSource = 'archive' | 'streaming' | 'partial';

/** A WAL file found in the catalog, not read yet. */
export interface FoundWal {
  readonly name: string;
  readonly source: WalSource;
  readonly path: string;
  /** How it is stored, told by its first bytes. */
  readonly compression: DetectedCompression;
}

/** A WAL file ready to hand to PostgreSQL: decompressed, full size. */
export interface RetrievedWal {
  readonly name: string;
  readonly data: Buffer;
  readonly source: WalSource;
  readonly path: string;
}

/**
 * `get-wal`, the restore_command path: finds a WAL file by direct path (never by scanning
 * xlog.db): first in `wals/`, then a completed segment in `streaming/` not archived yet, and with
 * `partial` the streaming `<name>.partial` (zero-padded to the segment size, as PostgreSQL
 * expects a whole segment). Returns the decompressed bytes; throws `walNotFound` (exit 1) when
 * the archive does not have it, so PostgreSQL moves on.
 */
export async function getWal(
  server: ServerConfig,
  name: string,
  options: { partial?: boolean } = {},
): Promise<RetrievedWal> {
  return useWal(server, name, options, readFoundWal);
}

/**
 * Finds a WAL file and hands it to `use`. When `use` fails and the file it was given is gone
 * (archive-wal moved it from `streaming/` into `wals/`, or the receiver completed the
 * `.partial` meanwhile), the file is looked for again, up to three times, instead of being
 * reported missing: a "not found" makes PostgreSQL end recovery there.
 */
export async function useWal<T>(
  server: ServerConfig,
  name: string,
  options: { partial?: boolean },
  use: (found: FoundWal) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const found = await findWal(server, name, options);
    try {
      return await use(found);
    } catch (error) {
      if (attempt >= 3 || (await stillThere(found.path))) throw error;
    }
  }
}

async function stillThere(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ENOENT';
  }
}

/**
 * The first half of get-wal: where the file is and how it is stored, from its first bytes only,
 * so that a caller can copy a file stored uncompressed without reading it into memory. Throws
 * `walNotFound` (exit 1) when the archive does not have it.
 */
export async function findWal(
  server: ServerConfig,
  name: string,
  options: { partial?: boolean } = {},
): Promise<FoundWal> {
  const parsed = parseWalFileName(name);
  if (parsed === undefined || parsed.kind === 'partial') {
    throw new BarkeepError('usage', {
      what: 'cannot get WAL',
      subject: name,
      why: 'it is not a WAL segment, .backup or .history file name',
    });
  }
  const layout = serverLayout(server.name, server.settings);
  const candidates: [string, WalSource][] = [[storedPath(layout, parsed), 'archive']];
  // Written by our own receiver and not moved into wals/ yet: a completed segment, or the
  // history file of a timeline it followed.
  if (parsed.kind === 'segment' || parsed.kind === 'history')
    candidates.push([join(layout.streaming, name), 'streaming']);
  if (parsed.kind === 'segment' && options.partial)
    candidates.push([join(layout.streaming, `${name}.partial`), 'partial']);
  for (const [path, source] of candidates) {
    const compression = await storedCompression(path);
    if (compression !== undefined) return { name, source, path, compression };
  }
  throw notFound(name, layout.wals, options.partial ?? false);
}

/** The second half of get-wal: the file's bytes, decompressed, a `.partial` padded. */
export async function readFoundWal(found: FoundWal): Promise<RetrievedWal> {
  const { name, source, path } = found;
  const stored = await readIfExists(path);
  // Gone since it was found (retention pruned it): as if it had never been there.
  if (stored === undefined) throw notFound(name, dirname(path), source === 'partial');
  const data =
    source === 'archive'
      ? await decompressBuffer(stored, { source: path })
      : source === 'partial'
        ? padToSegment(stored)
        : stored;
  return { name, data, source, path };
}

/**
 * Writes a found WAL file, decompressed (a `.partial` padded), into the new file `target`: by the
 * kernel (copy_file_range, or a reflink where the file system has them) when it is stored
 * uncompressed, else through memory. Used for `get-wal -o DIR` and for recover's `barman_wal/`.
 */
export async function writeFoundWal(found: FoundWal, target: string): Promise<void> {
  if (found.compression === 'none' && found.source !== 'partial')
    await copyFile(found.path, target, constants.COPYFILE_FICLONE);
  else await writeFile(target, (await readFoundWal(found)).data, { mode: 0o600 });
}

function notFound(name: string, directory: string, partial: boolean): BarkeepError {
  return new BarkeepError('walNotFound', {
    what: 'WAL file not found',
    subject: name,
    why: `it is not in ${directory}${partial ? ' nor as a streaming .partial' : ''}`,
  });
}

/** The compression of a stored file by its magic bytes; undefined when there is no such file. */
async function storedCompression(path: string): Promise<DetectedCompression | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('cannot read WAL file', path, error);
  }
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return detectCompression(head.subarray(0, bytesRead));
  } catch (error) {
    throw ioError('cannot read WAL file', path, error);
  } finally {
    await file.close();
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('cannot read WAL file', path, error);
  }
}

/** A .partial shorter than its segment (a receiver that wrote sparse) is zero-filled to full size. */
function padToSegment(partial: Buffer): Buffer {
  let header: ReturnType<typeof readWalPageHeader>;
  try {
    header = readWalPageHeader(partial);
  } catch {
    return partial; // too short to carry a header: PostgreSQL will reject it itself
  }
  if (!header.isLongHeader || partial.length >= header.segmentSize) return partial;
  const full = Buffer.alloc(header.segmentSize);
  partial.copy(full);
  return full;
}
