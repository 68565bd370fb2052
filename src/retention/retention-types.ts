import type { KeepTarget } from '../catalog/backup-keep.ts';
import type { BackupStatus } from '../catalog/backup-status.ts';

/**
 * What retention says about one backup, with Barman's spellings (`BackupInfo.RETENTION_STATUS`
 * plus the keep targets): `VALID` stays, `OBSOLETE` goes, `OBSOLETE*` would go but is kept to
 * honour `minimum_redundancy` (Barman's POTENTIALLY_OBSOLETE), `KEEP:FULL` / `KEEP:STANDALONE`
 * are kept by `keep`, and `-` is a backup that is not DONE (retention never touches it).
 */
export type RetentionStatus =
  | 'VALID'
  | 'OBSOLETE'
  | 'OBSOLETE*'
  | 'KEEP:FULL'
  | 'KEEP:STANDALONE'
  | '-';

/**
 * One backup as the policies see it: the few backup.info fields they read plus its keep
 * annotation. Kept this small so tests can state a catalog in a line per backup.
 */
export interface CatalogBackup {
  /** `YYYYMMDDTHHMMSS`; the catalog order (oldest first) is the order of these IDs. */
  readonly backupId: string;
  readonly status: BackupStatus;
  /** When the backup ended (the recovery window and GFS periods use it). */
  readonly endTime: Date | undefined;
  readonly beginWal: string | null;
  readonly endWal: string | null;
  readonly keep: KeepTarget | undefined;
}

/** A policy's verdict on every backup of a catalog, by backup ID. */
export type RetentionReport = ReadonlyMap<string, RetentionStatus>;

/** The statuses that keep a backup (everything but OBSOLETE). */
export function isKept(status: RetentionStatus): boolean {
  return status !== 'OBSOLETE';
}

/** `KEEP:FULL` / `KEEP:STANDALONE` for a kept backup; any other target counts as full (Barman). */
export function keepStatus(keep: KeepTarget): RetentionStatus {
  return keep === 'standalone' ? 'KEEP:STANDALONE' : 'KEEP:FULL';
}

/** The catalog sorted by backup ID, newest first (the order Barman's policies walk it in). */
export function newestFirst(backups: readonly CatalogBackup[]): CatalogBackup[] {
  return [...backups].sort((a, b) =>
    a.backupId < b.backupId ? 1 : a.backupId > b.backupId ? -1 : 0,
  );
}
