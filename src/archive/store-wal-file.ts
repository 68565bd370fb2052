import { readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerLayout } from '../catalog/server-layout.ts';
import { compressBuffer, decompressBuffer } from '../compression/compress-buffer.ts';
import { detectCompression, type WalCompression } from '../compression/compression-format.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { HookScripts } from '../hooks/hook-settings.ts';
import { createFileDurable, ensureDirectory } from '../storage/durable-write.ts';
import { validateWalFile } from '../wal/validate-wal-file.ts';
import { parseWalFileName, type WalFileName } from '../wal/wal-file-name.ts';
import { WalRejection } from './wal-rejection.ts';
import type { XlogDbEntry } from './xlog-db.ts';

/** Where and how WAL is stored for one server. */
export interface ArchiveTarget {
  readonly server: string;
  readonly layout: ServerLayout;
  readonly compression: WalCompression;
  /** The cluster the catalog belongs to: a file of another cluster is refused. */
  readonly systemIdentifier: string;
  /** The archive hook scripts, when any is configured (hooks/archive-hooks.ts runs them). */
  readonly hooks?: HookScripts | undefined;
}

/** A WAL file offered for archiving, with its whole content. */
export interface OfferedWalFile {
  readonly name: string;
  readonly data: Buffer;
  /** When the file was last modified (a truncated, recent file may still be being copied). */
  readonly mtimeMs?: number;
}

/** What happened to an offered file. */
export type StoreOutcome =
  | { readonly kind: 'stored'; readonly path: string; readonly entry: XlogDbEntry }
  | { readonly kind: 'identical'; readonly path: string; readonly entry: XlogDbEntry };

/** Files whose content may be recent enough to be still arriving. */
const STILL_ARRIVING_MS = 60_000;

/**
 * The per-file work of put-wal and archive-wal: check that the name is a WAL file name and the
 * content matches it and this server (size, header, page address, timeline, system identifier),
 * then store it compressed under its plain name in `wals/`, durably, never replacing a stored
 * file, with the offered file's modification time (as Barman does; rebuild-xlogdb reads it). An
 * identical file already stored is a success that changes nothing; different content under an
 * archived name is a `duplicate` rejection. Indexing in xlog.db is the caller's job.
 */
export async function storeWalFile(
  file: OfferedWalFile,
  target: ArchiveTarget,
): Promise<StoreOutcome> {
  const parsed = parseWalFileName(file.name);
  if (parsed === undefined) {
    throw new WalRejection('walInvalid', 'unknown', {
      what: 'refused to archive',
      subject: file.name,
      why: 'the name is not a WAL segment, .partial, .backup or .history file name',
    });
  }
  const verdict = validateWalFile(parsed, file.data, file.data.length, {
    systemIdentifier: target.systemIdentifier,
  });
  if (!verdict.ok) {
    const recent = file.mtimeMs !== undefined && Date.now() - file.mtimeMs < STILL_ARRIVING_MS;
    throw new WalRejection(
      verdict.foreign ? 'systemIdMismatch' : 'walInvalid',
      'error',
      { what: 'refused to archive', subject: file.name, why: verdict.reason },
      verdict.truncated === true && recent,
    );
  }
  const path = storedPath(target.layout, parsed);
  const compression = storesCompressed(parsed) ? target.compression : 'none';
  const stored = compression === 'none' ? file.data : await compressBuffer(compression, file.data);
  const entry: XlogDbEntry = {
    name: file.name,
    size: stored.length,
    // Barman records the offered file's modification time.
    time: (file.mtimeMs ?? Date.now()) / 1000,
    compression: compression === 'none' ? undefined : compression,
  };
  await ensureDirectory(join(path, '..'));
  if ((await createFileDurable(path, stored)) === 'created') {
    // Barman gives the stored file the offered file's mtime, so a rebuilt xlog.db agrees.
    if (file.mtimeMs !== undefined) await keepMtime(path, file.mtimeMs);
    return { kind: 'stored', path, entry };
  }
  return compareWithStored(path, file, entry);
}

/** Gives a newly stored file the offered file's modification time. */
async function keepMtime(path: string, mtimeMs: number): Promise<void> {
  try {
    await utimes(path, new Date(), mtimeMs / 1000);
  } catch (error) {
    throw ioError('cannot set modification time', path, error);
  }
}

/** The path of a WAL file in the catalog: segments beside their kin, history files at the top. */
export function storedPath(layout: ServerLayout, parsed: WalFileName): string {
  if (parsed.kind === 'history') return join(layout.wals, parsed.name);
  return join(layout.wals, parsed.name.slice(0, 16), parsed.name);
}

/** Segments and .partial files are compressed; the small text files stay plain, as Barman keeps them. */
function storesCompressed(parsed: WalFileName): boolean {
  return parsed.kind === 'segment' || parsed.kind === 'partial';
}

async function compareWithStored(
  path: string,
  file: OfferedWalFile,
  entry: XlogDbEntry,
): Promise<StoreOutcome> {
  let raw: Buffer;
  let existing: Buffer;
  try {
    raw = await readFile(path);
    existing = await decompressBuffer(raw, { source: path });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT')
      throw ioError('stored WAL file vanished while comparing', path, error);
    throw error;
  }
  if (existing.equals(file.data)) {
    const compression = detectCompression(raw);
    return {
      kind: 'identical',
      path,
      entry: {
        ...entry,
        size: raw.length,
        compression: compression === 'none' ? undefined : compression,
      },
    };
  }
  throw new WalRejection('walDuplicate', 'duplicate', {
    what: 'refused to archive',
    subject: file.name,
    why: `a different file with this name is already archived at ${path}`,
  });
}
