import { constants } from 'node:fs';
import { access, copyFile, link, open, rm, stat, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { compressFile } from '../compression/compress-file.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { ensureDirectory, fsyncDirectory, temporaryNameFor } from '../storage/durable-write.ts';
import { validateWalFile } from '../wal/validate-wal-file.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';
import { type ArchiveTarget, type StoreOutcome, storedPath } from './store-wal-file.ts';

/** Bytes read to check a segment before streaming it: the first page holds the long header. */
const HEAD_BYTES = 8192;

/**
 * put-wal's fast path for a segment or `.partial` file on disk, the common case of
 * archive_command: the first page is read and checked (name, size, header, page address,
 * timeline, system identifier), then the file is streamed in 1 MiB chunks through the
 * compressor into a temporary file beside its final name (`copy_file_range` when uncompressed),
 * fsynced, hard-linked to its name (never replacing a stored file) and the directory fsynced.
 * A 16 MiB segment is never held in memory, which is most of the cost of a short-lived process.
 *
 * Returns undefined, having stored nothing, whenever the careful whole-file path of
 * storeWalFile must decide instead: another kind of file, a file that fails a check (so the
 * rejection, its errors/ copy and the still-arriving rule stay in one place), a name already
 * stored (identical or duplicate), or a file whose size changed while it was read.
 */
export async function streamWalFile(
  path: string,
  name: string,
  target: ArchiveTarget,
): Promise<StoreOutcome | undefined> {
  const parsed = parseWalFileName(name);
  if (parsed === undefined || (parsed.kind !== 'segment' && parsed.kind !== 'partial'))
    return undefined;
  let size: number;
  let mtimeMs: number;
  const head = Buffer.alloc(HEAD_BYTES);
  let headLength: number;
  try {
    const handle = await open(path, 'r');
    try {
      ({ size, mtimeMs } = await handle.stat());
      ({ bytesRead: headLength } = await handle.read(head, 0, HEAD_BYTES, 0));
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError('cannot read WAL file', path, error);
  }
  const verdict = validateWalFile(parsed, head.subarray(0, headLength), size, {
    systemIdentifier: target.systemIdentifier,
  });
  if (!verdict.ok) return undefined;
  const destination = storedPath(target.layout, parsed);
  if (await exists(destination)) return undefined;
  await ensureDirectory(dirname(destination));

  const temporary = temporaryNameFor(destination);
  try {
    const stored = await copyCompressed(path, temporary, target.compression);
    if ((await stat(path)).size !== size) return undefined;
    try {
      await link(temporary, destination);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return undefined;
      throw error;
    }
    // Barman gives the stored file the offered file's mtime, so a rebuilt xlog.db agrees.
    await utimes(destination, new Date(), mtimeMs / 1000);
    await fsyncDirectory(dirname(destination));
    return {
      kind: 'stored',
      path: destination,
      entry: {
        name,
        size: stored,
        time: mtimeMs / 1000,
        compression: target.compression === 'none' ? undefined : target.compression,
      },
    };
  } catch (error) {
    // A named problem (the segment changed while it was compressed) keeps its own message.
    if (isBarkeepError(error)) throw error;
    throw ioError('cannot write file', destination, error);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Writes `source` into the new file `temporary` as `compression`, fsynced; returns its size. */
async function copyCompressed(
  source: string,
  temporary: string,
  compression: ArchiveTarget['compression'],
): Promise<number> {
  if (compression !== 'none') return compressFile(compression, source, temporary);
  // copy_file_range where the file system has it: the data never enters this process.
  await copyFile(source, temporary, constants.COPYFILE_EXCL);
  const handle = await open(temporary, 'r+');
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw ioError('cannot look for stored WAL file', path, error);
  }
}
