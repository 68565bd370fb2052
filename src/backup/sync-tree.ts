import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError } from '../errors/system-error.ts';
import { forEachLimited } from '../storage/bounded-workers.ts';

/**
 * fsyncs every file and directory under `root` (symbolic links are not followed), several at a
 * time: a backup writes thousands of files without syncing each, then makes all of them durable
 * here before it may be marked DONE. Directories are synced after their contents. With
 * `directoriesOnly`, files are left alone (they were flushed one by one already) and only the
 * directories, which hold the names, are synced.
 */
export async function syncTree(
  root: string,
  concurrency = 8,
  options: { readonly directoriesOnly?: boolean } = {},
): Promise<void> {
  const files: string[] = [];
  const directories: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    directories.push(directory);
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  await walk(root);
  if (!options.directoriesOnly)
    await forEachLimited(files, concurrency, (path) => syncPath(path, 'r+'));
  await forEachLimited(directories.reverse(), concurrency, (path) => syncPath(path, 'r'));
}

async function syncPath(path: string, flags: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, flags);
    await handle.sync();
  } catch (error) {
    throw ioError('cannot flush backup file', path, error);
  } finally {
    await handle?.close();
  }
}
