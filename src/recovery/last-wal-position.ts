import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { storedPath } from '../archive/store-wal-file.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import type { ServerLayout } from '../catalog/server-layout.ts';
import { walBytesInPartial } from '../streaming/partial-extent.ts';
import { parseSegmentName } from '../wal/segment-name.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';
import { segmentStartLsn } from '../wal/wal-segment.ts';
import { toWalSegmentSize } from '../wal/wal-segment-size.ts';
import type { AvailableWal } from './recovery-wal.ts';

/** PostgreSQL's WAL page size (XLOG_BLCKSZ as built by Debian and by default). */
const WAL_PAGE = 8192;

/**
 * How far the available WAL reaches: the time its newest file was written and the LSN where it
 * ends (the end of the newest complete segment, or as far as the `.partial` goes), for checking
 * a recovery target before copying anything.
 */
export async function lastWalPosition(
  layout: ServerLayout,
  wal: AvailableWal,
  info: BackupInfo,
): Promise<{ time: Date | undefined; endLsn: bigint | undefined }> {
  const size = toWalSegmentSize(info.xlog_segment_size ?? 16 * 1024 * 1024);
  let time: Date | undefined;
  let endLsn: bigint | undefined;
  const consider = (mtime: Date, end: bigint) => {
    if (!time || mtime > time) time = mtime;
    if (endLsn === undefined || end > endLsn) endLsn = end;
  };
  const newest = wal.segments[wal.segments.length - 1];
  if (newest) {
    const parsed = parseSegmentName(newest, size)!;
    const archived = storedPath(layout, parseWalFileName(newest)!);
    const file = await stat(archived).catch(() => stat(join(layout.streaming, newest)));
    consider(file.mtime, segmentStartLsn(parsed.segno, size) + BigInt(size));
  }
  if (wal.partial) {
    const parsed = parseSegmentName(wal.partial, size)!;
    const path = join(layout.streaming, `${wal.partial}.partial`);
    const partial = await stat(path);
    // Zero-filled to full size: the WAL ends at the last non-zero byte, taken to the end of its
    // WAL page so that a record's trailing zero bytes never make a reachable target look beyond.
    const held = await walBytesInPartial(path);
    const end = Math.min(Math.ceil(held / WAL_PAGE) * WAL_PAGE, size);
    consider(partial.mtime, segmentStartLsn(parsed.segno, size) + BigInt(end));
  }
  return { time, endLsn };
}
