import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { uniqueSuffix } from './unique-suffix.ts';

/** A name beside `path` that no other writer uses, hidden from directory scans by its dot. */
export function temporaryNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${uniqueSuffix(8)}.tmp`);
}

/**
 * Flushes a directory's entries to disk, so that a file created or renamed in it survives a
 * crash. Without it a rename can be lost even though the file's data was fsynced.
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (error) {
    throw ioError('cannot flush directory', directory, error);
  } finally {
    await handle?.close();
  }
}

/** Options of {@link writeFileDurable}. */
export interface DurableWriteOptions {
  /** Permission bits of the new file; default 0600. */
  readonly mode?: number;
}

/**
 * Writes a whole file so that after a crash either the old content or the new one is there,
 * never a mix or an empty file: write to a temporary name, fsync, rename over the target,
 * fsync the directory. Used for every file whose loss or corruption would matter.
 */
export async function writeFileDurable(
  path: string,
  data: string | Uint8Array,
  options: DurableWriteOptions = {},
): Promise<void> {
  const temporary = temporaryNameFor(path);
  try {
    const handle = await open(temporary, 'wx', options.mode ?? 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    // The temporary file is ours alone; removing it keeps the directory clean. The original
    // error is the one that matters and is rethrown below.
    await rm(temporary, { force: true });
    throw ioError('cannot write file', path, error);
  }
  await fsyncDirectory(dirname(path));
}

/**
 * Creates a directory (and missing parents) with the given mode, fsyncing each parent whose
 * entries changed so the new directory survives a crash. Existing directories are left as they are.
 */
export async function ensureDirectory(path: string, mode = 0o700): Promise<void> {
  let first: string | undefined;
  try {
    first = await mkdir(path, { recursive: true, mode });
  } catch (error) {
    throw ioError('cannot create directory', path, error);
  }
  if (first === undefined) return;
  // Flush from the parent of the first created directory down to the parent of `path`.
  let current = path;
  const parents: string[] = [];
  while (current.length >= first.length) {
    parents.push(dirname(current));
    current = dirname(current);
  }
  for (const parent of parents.reverse()) await fsyncDirectory(parent);
}

/**
 * Creates a file durably without ever replacing one: the data is written and fsynced under a
 * temporary name, then hard-linked to `path`, which fails when `path` exists. Returns `exists`
 * (and writes nothing) when another writer got there first. This is how archived WAL is stored:
 * a file already safe is never overwritten, even by a concurrent writer.
 */
export async function createFileDurable(
  path: string,
  data: string | Uint8Array,
  options: DurableWriteOptions = {},
): Promise<'created' | 'exists'> {
  const temporary = temporaryNameFor(path);
  try {
    const handle = await open(temporary, 'wx', options.mode ?? 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, path);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return 'exists';
      throw error;
    }
  } catch (error) {
    throw ioError('cannot write file', path, error);
  } finally {
    // The temporary name is ours alone; once linked (or refused) it is no longer needed.
    await rm(temporary, { force: true });
  }
  await fsyncDirectory(dirname(path));
  return 'created';
}
