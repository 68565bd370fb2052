import { lstat, readdir } from 'node:fs/promises';
import { ioError } from '../errors/system-error.ts';

/** Total bytes of the regular files under `root` (Barman's `size` of a backup). */
export async function directorySize(root: string): Promise<number> {
  return (await directoryUsage(root)).size;
}

/** What a backup directory holds, as Barman's backup.info counts it. */
export interface DirectoryUsage {
  /** Bytes of every regular file (`size`). */
  readonly size: number;
  /**
   * Bytes of the files no other backup shares, i.e. with a link count of 1
   * (`deduplicated_size`): what this backup added to the disk.
   */
  readonly deduplicated: number;
}

/**
 * Walks `root` (symbolic links not followed) and adds up its regular files, all of them and
 * those not hard-linked elsewhere, as Barman does after a backup with `reuse_backup = link`.
 */
export async function directoryUsage(root: string): Promise<DirectoryUsage> {
  let size = 0;
  let deduplicated = 0;
  // Names as bytes: a file name that is not UTF-8 must still be found.
  const walk = async (directory: Buffer): Promise<void> => {
    for (const entry of await readdir(directory, { withFileTypes: true, encoding: 'buffer' })) {
      const path = Buffer.concat([directory, Buffer.from('/'), entry.name]);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const stats = await lstat(path);
        size += stats.size;
        if (stats.nlink <= 1) deduplicated += stats.size;
      }
    }
  };
  try {
    await walk(Buffer.from(root));
  } catch (error) {
    throw ioError('cannot measure backup', root, error);
  }
  return { size, deduplicated };
}
