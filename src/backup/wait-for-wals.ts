import { access } from 'node:fs/promises';
import { archiveIncoming } from '../archive/archive-incoming.ts';
import { storedPath } from '../archive/store-wal-file.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { parseSegmentName, segmentName } from '../wal/segment-name.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';
import { nextSegment } from '../wal/wal-segment.ts';
import { toWalSegmentSize } from '../wal/wal-segment-size.ts';

/**
 * The WAL segments a backup needs to be consistent: from begin_wal to end_wal, in order (on the
 * backup's timeline; a backup does not span a timeline switch).
 */
export function requiredSegments(info: BackupInfo): string[] {
  if (!info.begin_wal || !info.end_wal) return [];
  const size = toWalSegmentSize(info.xlog_segment_size ?? 16 * 1024 * 1024);
  const begin = parseSegmentName(info.begin_wal, size)!;
  const end = parseSegmentName(info.end_wal, size)!;
  const names: string[] = [];
  for (let segno = begin.segno; segno <= end.segno; segno = nextSegment(segno, size)) {
    names.push(segmentName(end.timeline, segno, size));
    if (segno === end.segno) break;
  }
  return names;
}

/** The required segments not in `wals/` yet. */
export async function missingSegments(server: ServerConfig, info: BackupInfo): Promise<string[]> {
  const layout = serverLayout(server.name, server.settings);
  const missing: string[] = [];
  for (const name of requiredSegments(info)) {
    try {
      await access(storedPath(layout, parseWalFileName(name)!));
    } catch {
      missing.push(name);
    }
  }
  return missing;
}

/** The first look again after this long: the last segment of a backup is usually archived within milliseconds. */
const FIRST_POLL_MS = 25;
/** Then every so often, doubling up to this. */
const LAST_POLL_MS = 500;

/**
 * `backup --wait`: waits until every WAL segment from begin_wal to end_wal is in the archive,
 * moving `incoming/` and `streaming/` into it itself meanwhile (as Barman does), and fails with
 * a clear error naming what is missing after `timeoutSeconds` (0: no limit). It looks again
 * after 25 ms, then at doubling intervals up to 500 ms: a fixed 500 ms cost a backup up to half
 * a second for a segment archived in a few milliseconds.
 */
export async function waitForBackupWals(
  server: ServerConfig,
  info: BackupInfo,
  options: { timeoutSeconds: number; logger: Logger; signal?: AbortSignal },
): Promise<void> {
  let pollMs = FIRST_POLL_MS;
  const deadline =
    options.timeoutSeconds > 0
      ? Date.now() + options.timeoutSeconds * 1000
      : Number.POSITIVE_INFINITY;
  for (;;) {
    options.signal?.throwIfAborted();
    const missing = await missingSegments(server, info);
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new BarkeepError('operationFailed', {
        what: 'WAL of the backup not archived in time',
        subject: info.backup_id,
        why: `after ${options.timeoutSeconds} s the archive still lacks ${missing.join(', ')}`,
        hint: `The backup itself is complete; check archiving with 'barkeep check ${server.name}', then 'barkeep check-backup ${server.name} ${info.backup_id}'.`,
      });
    }
    try {
      await archiveIncoming(server, options.logger);
    } catch (error) {
      if (!isBarkeepError(error, 'lockHeld')) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    pollMs = Math.min(pollMs * 2, LAST_POLL_MS);
  }
}
