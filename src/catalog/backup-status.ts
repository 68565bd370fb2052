/**
 * Barman's backup states. `STARTED` while copying, `WAITING_FOR_WALS` once copied until the WAL
 * up to `end_wal` is archived, `DONE` when usable for recovery, `FAILED` when it stopped
 * (`error` says why), `EMPTY` for a backup.info with no status, `SYNCING` on a passive node.
 */
export type BackupStatus = 'EMPTY' | 'STARTED' | 'WAITING_FOR_WALS' | 'DONE' | 'SYNCING' | 'FAILED';

/** Every status, in Barman's order (`BackupInfo.STATUS_ALL`). */
export const BACKUP_STATUSES: readonly BackupStatus[] = Object.freeze([
  'EMPTY',
  'STARTED',
  'WAITING_FOR_WALS',
  'DONE',
  'SYNCING',
  'FAILED',
]);

/**
 * The statuses of a backup whose copy is complete (`BackupInfo.STATUS_COPY_DONE`); Barman's
 * `latest`, `oldest` and backup-name lookups consider only these.
 */
export const COPY_DONE_STATUSES: readonly BackupStatus[] = Object.freeze([
  'WAITING_FOR_WALS',
  'DONE',
]);

/** True when `text` is one of Barman's backup statuses. */
export function isBackupStatus(text: string): text is BackupStatus {
  return (BACKUP_STATUSES as readonly string[]).includes(text);
}
