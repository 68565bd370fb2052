import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Total bytes of the regular files under `root` (Barman's `size` of a backup). */
export async function directorySize(root: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) total += await directorySize(path);
    else if (entry.isFile()) total += (await lstat(path)).size;
  }
  return total;
}
