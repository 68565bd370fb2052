import { open } from 'node:fs/promises';
import { serverLayout } from '../catalog/server-layout.ts';
import {
  detectCompression,
  magicProbeLength,
  xlogDbCompressionName,
} from '../compression/compression-format.ts';
import type { ServerConfig } from '../config/settings.ts';
import { ioError } from '../errors/system-error.ts';
import { writeFileDurable } from '../storage/durable-write.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';
import { storedPath } from './store-wal-file.ts';
import {
  acquireXlogDbLock,
  formatXlogDbLine,
  listStoredWalFiles,
  type XlogDbEntry,
} from './xlog-db.ts';

/**
 * `rebuild-xlogdb`: writes `wals/xlog.db` anew from the files stored in `wals/` (name, stored
 * size, modification time, compression told by magic bytes), as Barman's command does: segments,
 * `.partial` and `.backup` files in their `<tli+log>/` directory, `.history` files at the top;
 * temporary files, unknown names and misplaced files are left out. Holds the xlogdb lock
 * (waiting for a writer's append to finish) so no append is lost, and replaces the file
 * atomically. Returns the entry count.
 */
export async function rebuildXlogDb(server: ServerConfig): Promise<number> {
  const layout = serverLayout(server.name, server.settings);
  const lock = await acquireXlogDbLock(layout);
  try {
    const entries: XlogDbEntry[] = [];
    for (const file of await listStoredWalFiles(layout)) {
      // Only files at their place: get-wal and retention look nowhere else.
      const parsed = parseWalFileName(file.name);
      if (parsed === undefined || storedPath(layout, parsed) !== file.path) continue;
      const compression = xlogDbCompressionName(detectCompression(await firstBytes(file.path)));
      entries.push({
        name: file.name,
        size: file.size,
        time: file.mtimeMs / 1000,
        compression: compression === 'None' ? undefined : compression,
      });
    }
    await writeFileDurable(layout.xlogDb, entries.map(formatXlogDbLine).join(''));
    return entries.length;
  } finally {
    await lock.release();
  }
}

async function firstBytes(path: string): Promise<Buffer> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw ioError('cannot read WAL file', path, error);
  });
  try {
    const buffer = Buffer.alloc(magicProbeLength);
    const { bytesRead } = await handle.read(buffer, 0, magicProbeLength, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
