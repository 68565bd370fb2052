import { readSegmentSizes, type SegmentSizes } from '../archive/xlog-db.ts';
import { type BackupListing, listBackups } from '../catalog/backup-catalog.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { type KeepTarget, keepTarget } from '../catalog/backup-keep.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';

/** One backup with what the listing shows about it beyond backup.info. */
export interface ListedBackup {
  readonly info: BackupInfo;
  /** Bytes of archived WAL from this backup's begin_wal up to the next backup's. */
  readonly walSize: number;
  /** WAL files in that range. */
  readonly walFiles: number;
  /** `full` / `standalone` when the backup is kept (Barman's keep annotation). */
  readonly keep: KeepTarget | undefined;
}

/** A server's backups, oldest first, with their WAL and keep status; plus listing problems. */
export interface ServerBackups {
  readonly listing: BackupListing;
  readonly backups: readonly ListedBackup[];
}

/**
 * The backups of a server as `list-backups`, `show-backup` and `status` present them: each with
 * the size of the WAL archived after it (up to the next backup's start, as Barman counts it) and
 * its keep annotation. Dead STARTED backups are marked FAILED on the way (see listBackups).
 */
export async function serverBackups(server: ServerConfig): Promise<ServerBackups> {
  const layout = serverLayout(server.name, server.settings);
  const listing = await listBackups(layout);
  const ranges = walRanges(await readSegmentSizes(layout));
  const untils = nextLaterStarts(listing.backups.map((info) => info.begin_wal ?? ''));
  const backups: ListedBackup[] = [];
  for (const [index, info] of listing.backups.entries()) {
    const from = info.begin_wal;
    const until = untils[index];
    const files = from ? ranges.between(from, until) : { count: 0, bytes: 0 };
    const kept = await keepTarget(layout, info.backup_id);
    backups.push({ info, walSize: files.bytes, walFiles: files.count, keep: kept });
  }
  return { listing, backups };
}

/** Bytes as Barman prints them: `30.1 MiB`, `512 B`. */
export function prettySize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * What a backup added to the disk when hard links to an earlier one (reuse_backup = link) saved
 * space: its deduplicated_size, or undefined when nothing was shared (or it is not recorded).
 */
export function incrementalSize(
  size: number | null | undefined,
  deduplicated: number | null | undefined,
): number | undefined {
  if (size == null || deduplicated == null || deduplicated >= size) return undefined;
  return deduplicated;
}

/**
 * The archived segments ordered by their position without the timeline (as Barman compares
 * them), with running sums of their sizes: the WAL between two backups is then two binary
 * searches, not a pass over an index that may hold a million lines for each of thousands of
 * backups. An index written in order (the usual case) is not sorted again.
 */
function walRanges({ logs, segments, sizes }: SegmentSizes) {
  const count = logs.length;
  const before = (a: number, b: number) =>
    logs[a]! < logs[b]! || (logs[a] === logs[b] && segments[a]! < segments[b]!);
  let order: Uint32Array | undefined;
  for (let index = 1; index < count && !order; index++) {
    if (before(index, index - 1)) {
      const all = Array.from({ length: count }, (_, position) => position);
      order = Uint32Array.from(all.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)));
    }
  }
  const at = (position: number) => (order ? order[position]! : position);
  const sums = new Float64Array(count + 1);
  for (let position = 0; position < count; position++)
    sums[position + 1] = sums[position]! + sizes[at(position)]!;
  /** The first position whose segment is at or after (log, segment). */
  const firstAtOrAfter = (name: string): number => {
    const log = Number.parseInt(name.slice(8, 16), 16);
    const segment = Number.parseInt(name.slice(16, 24), 16);
    let low = 0;
    let high = count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const index = at(middle);
      if (logs[index]! < log || (logs[index] === log && segments[index]! < segment))
        low = middle + 1;
      else high = middle;
    }
    return low;
  };
  return {
    /** Segments from WAL name `from` (inclusive) up to `until` (exclusive; none: to the end). */
    between(from: string, until: string | undefined): { count: number; bytes: number } {
      const low = firstAtOrAfter(from);
      const high = until === undefined ? count : Math.max(low, firstAtOrAfter(until));
      return { count: high - low, bytes: sums[high]! - sums[low]! };
    },
  };
}

/**
 * For each backup (oldest first), the begin WAL of the first later backup that begins after it:
 * where its WAL ends. One pass from the newest with a stack (the next greater element), so ten
 * thousand backups cost ten thousand steps, not fifty million.
 */
function nextLaterStarts(starts: readonly string[]): (string | undefined)[] {
  const result: (string | undefined)[] = new Array(starts.length);
  const stack: string[] = [];
  for (let index = starts.length - 1; index >= 0; index--) {
    while (stack.length > 0 && stack.at(-1)! <= starts[index]!) stack.pop();
    result[index] = stack.at(-1);
    stack.push(starts[index]!);
  }
  return result;
}
