import { readXlogDb, type XlogDbEntry } from '../archive/xlog-db.ts';
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
  readonly wal: readonly XlogDbEntry[];
}

/**
 * The backups of a server as `list-backups`, `show-backup` and `status` present them: each with
 * the size of the WAL archived after it (up to the next backup's start, as Barman counts it) and
 * its keep annotation. Dead STARTED backups are marked FAILED on the way (see listBackups).
 */
export async function serverBackups(server: ServerConfig): Promise<ServerBackups> {
  const layout = serverLayout(server.name, server.settings);
  const listing = await listBackups(layout);
  const wal = (await readXlogDb(layout)).filter((entry) => /^[0-9A-F]{24}$/.test(entry.name));
  const starts = listing.backups.map((info) => info.begin_wal ?? '');
  const backups: ListedBackup[] = [];
  for (const [index, info] of listing.backups.entries()) {
    const from = info.begin_wal;
    const until = starts.slice(index + 1).find((start) => start > (from ?? '')) ?? undefined;
    const files = from
      ? wal.filter(
          (entry) =>
            entry.name.slice(8) >= from.slice(8) &&
            (until === undefined || entry.name.slice(8) < until.slice(8)),
        )
      : [];
    const kept = await keepTarget(layout, info.backup_id);
    backups.push({
      info,
      walSize: files.reduce((sum, entry) => sum + entry.size, 0),
      walFiles: files.length,
      keep: kept,
    });
  }
  return { listing, backups, wal };
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
