import type { BackupListing } from '../catalog/backup-catalog.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { type KeepTarget, keepTarget } from '../catalog/backup-keep.ts';
import type { ServerLayout } from '../catalog/server-layout.ts';
import { type RetentionSettings, retentionReport } from './retention-report.ts';
import {
  type CatalogBackup,
  keepStatus,
  type RetentionReport,
  type RetentionStatus,
} from './retention-types.ts';

/** The fields of one backup the retention policies read, from its backup.info and keep target. */
export function toCatalogBackup(info: BackupInfo, keep: KeepTarget | undefined): CatalogBackup {
  return {
    backupId: info.backup_id,
    status: info.status,
    endTime: info.end_time?.date,
    beginWal: info.begin_wal,
    endWal: info.end_wal,
    keep,
  };
}

/** Every listed backup with its keep annotation read, as the policies see the catalog. */
export async function catalogBackups(
  layout: ServerLayout,
  listing: BackupListing,
): Promise<CatalogBackup[]> {
  return Promise.all(
    listing.backups.map(async (info) =>
      toCatalogBackup(info, await keepTarget(layout, info.backup_id)),
    ),
  );
}

/**
 * The retention status of each backup of a listing as `list-backups` and `show-backup` show
 * it: the configured policies' verdict (undefined when none is configured), relative to `now`.
 */
export function listingRetention(
  settings: RetentionSettings,
  listed: readonly { readonly info: BackupInfo; readonly keep: KeepTarget | undefined }[],
  now: Date = new Date(),
): RetentionReport | undefined {
  return retentionReport(
    listed.map(({ info, keep }) => toCatalogBackup(info, keep)),
    settings,
    now,
  );
}

/**
 * The status shown for one backup: the policies' verdict when retention is enforced, else
 * KEEP:* for a kept backup, else null (nothing is enforced).
 */
export function shownRetentionStatus(
  report: RetentionReport | undefined,
  backupId: string,
  keep: KeepTarget | undefined,
): RetentionStatus | null {
  if (report) return report.get(backupId) ?? '-';
  return keep ? keepStatus(keep) : null;
}
