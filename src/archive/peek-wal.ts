import { access, readFile } from 'node:fs/promises';
import { serverLayout } from '../catalog/server-layout.ts';
import { decompressBuffer } from '../compression/compress-buffer.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { parseSegmentName, segmentName } from '../wal/segment-name.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';
import { readWalPageHeader } from '../wal/wal-page-header.ts';
import { nextSegment } from '../wal/wal-segment.ts';
import { toWalSegmentSize } from '../wal/wal-segment-size.ts';
import { storedPath } from './store-wal-file.ts';

/**
 * `get-wal --peek N` (used by barman-wal-restore to prefetch in parallel): the names of up to N
 * WAL files the archive holds, starting with `name` and following segment order on its
 * timeline, stopping at the first one missing, as Barman does. A history file is answered with
 * itself alone. The segment size comes from the first file's own header.
 */
export async function peekWal(
  server: ServerConfig,
  name: string,
  count: number,
): Promise<string[]> {
  const parsed = parseWalFileName(name);
  if (parsed === undefined || parsed.kind === 'partial' || parsed.kind === 'backup') {
    throw new BarkeepError('usage', {
      what: 'cannot peek WAL',
      subject: name,
      why: 'it is not a WAL segment or .history file name',
    });
  }
  if (!Number.isInteger(count) || count < 1) {
    throw new BarkeepError('usage', {
      what: 'cannot peek WAL',
      subject: String(count),
      why: '--peek needs a whole number of at least 1',
    });
  }
  const layout = serverLayout(server.name, server.settings);
  const first = storedPath(layout, parsed);
  let stored: Buffer;
  try {
    stored = await readFile(first);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('cannot read WAL file', first, error);
  }
  if (parsed.kind === 'history') return [name];
  const header = readWalPageHeader(await decompressBuffer(stored, { source: first }));
  if (!header.isLongHeader) return [name];
  const size = toWalSegmentSize(header.segmentSize);
  const start = parseSegmentName(name, size)!;
  const names = [name];
  let segno = start.segno;
  while (names.length < count) {
    segno = nextSegment(segno, size);
    const next = segmentName(start.timeline, segno, size);
    const path = storedPath(layout, parseWalFileName(next)!);
    try {
      await access(path);
    } catch {
      break;
    }
    names.push(next);
  }
  return names;
}
