import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverLayout } from '../catalog/server-layout.ts';
import { decompressBuffer } from '../compression/compress-buffer.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';
import { readWalPageHeader } from '../wal/wal-page-header.ts';
import { storedPath } from './store-wal-file.ts';

/** Where get-wal found the file. */
export type WalSource = 'archive' | 'streaming' | 'partial';

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
  const parsed = parseWalFileName(name);
  if (parsed === undefined || parsed.kind === 'partial') {
    throw new BarkeepError('usage', {
      what: 'cannot get WAL',
      subject: name,
      why: 'it is not a WAL segment, .backup or .history file name',
    });
  }
  const layout = serverLayout(server.name, server.settings);
  const archived = storedPath(layout, parsed);
  const fromArchive = await readIfExists(archived);
  if (fromArchive)
    return {
      name,
      data: await decompressBuffer(fromArchive, { source: archived }),
      source: 'archive',
      path: archived,
    };
  if (parsed.kind === 'segment' || parsed.kind === 'history') {
    // Written by our own receiver and not moved into wals/ yet: a completed segment, or the
    // history file of a timeline it followed.
    const completed = join(layout.streaming, name);
    const fromStreaming = await readIfExists(completed);
    if (fromStreaming) return { name, data: fromStreaming, source: 'streaming', path: completed };
  }
  if (parsed.kind === 'segment') {
    const completed = join(layout.streaming, name);
    if (options.partial) {
      const partialPath = `${completed}.partial`;
      const partial = await readIfExists(partialPath);
      if (partial)
        return { name, data: padToSegment(partial), source: 'partial', path: partialPath };
    }
  }
  throw new BarkeepError('walNotFound', {
    what: 'WAL file not found',
    subject: name,
    why: `it is not in ${layout.wals}${options.partial ? ' nor as a streaming .partial' : ''}`,
  });
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
