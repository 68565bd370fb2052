import type { BackupStatus } from '../catalog/backup-status.ts';
import type { CatalogBackup, RetentionReport } from './retention-types.ts';

/** The statuses of a backup that may still need WAL (Barman's `STATUS_ARCHIVING`). */
const ARCHIVING: readonly BackupStatus[] = ['STARTED', 'WAITING_FOR_WALS', 'DONE', 'SYNCING'];

/** The begin..end WAL range a `standalone` keep needs, both ends included. */
export interface ProtectedRange {
  readonly backupId: string;
  readonly beginWal: string;
  readonly endWal: string;
}

/**
 * Which archived WAL the backups that stay still need (`wal_retention_policy = main`). A file
 * may go when it is older than `cutoff` and none of the protections applies.
 */
export interface WalPlan {
  /** The backup whose begin_wal is the cutoff; undefined when no WAL may go. */
  readonly anchorId: string | undefined;
  /** WAL names (full-name order, timeline first, as Barman compares them) below this may go. */
  readonly cutoff: string | undefined;
  /** Ranges older than the cutoff that `standalone` keeps need. */
  readonly protectedRanges: readonly ProtectedRange[];
  /** Timelines (8 hex digits) of other backups that stay: none of their WAL goes. */
  readonly protectedTimelines: readonly string[];
}

/**
 * Plans WAL removal as Barman's `delete_backup` / `remove_wal_before_backup` end up doing once
 * every obsolete backup is gone: the backups that stay are all but the OBSOLETE ones; the
 * anchor is the oldest of them that may need WAL (STARTED, WAITING_FOR_WALS, DONE or SYNCING,
 * with a begin_wal) and is not a `standalone` keep; WAL before its begin_wal may go, except
 * the begin..end range of each older `standalone` keep, every timeline history file, and every
 * file of a timeline on which another staying backup lies (Barman's timelines_to_protect). A
 * `full` keep is an anchor like any other backup, so everything after it stays. When only
 * `standalone` keeps stay, the newest of them is the anchor (all WAL after its start stays, as
 * Barman leaves it); when no backup stays, nothing is planned for removal.
 */
export function planWalRetention(
  backups: readonly CatalogBackup[],
  report: RetentionReport,
): WalPlan {
  const staying = backups
    .filter((backup) => report.get(backup.backupId) !== 'OBSOLETE')
    .filter((backup) => ARCHIVING.includes(backup.status) && backup.beginWal)
    .sort((a, b) => (a.backupId < b.backupId ? -1 : a.backupId > b.backupId ? 1 : 0));
  const standalone = (backup: CatalogBackup) =>
    backup.status === 'DONE' && backup.keep === 'standalone';
  const anchor = staying.find((backup) => !standalone(backup)) ?? staying.at(-1);
  if (anchor === undefined) {
    return { anchorId: undefined, cutoff: undefined, protectedRanges: [], protectedTimelines: [] };
  }
  const protectedRanges = staying
    .filter((backup) => backup !== anchor && backup.backupId < anchor.backupId)
    .filter((backup) => standalone(backup) && backup.endWal)
    .map((backup) => ({
      backupId: backup.backupId,
      beginWal: backup.beginWal!,
      endWal: backup.endWal!,
    }));
  const anchorTimeline = anchor.beginWal!.slice(0, 8);
  const protectedTimelines = [...new Set(staying.map((backup) => backup.beginWal!.slice(0, 8)))]
    .filter((timeline) => timeline !== anchorTimeline)
    .sort();
  return {
    anchorId: anchor.backupId,
    cutoff: anchor.beginWal!,
    protectedRanges,
    protectedTimelines,
  };
}

const WAL_LIKE = /^[0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?$/;

/**
 * True when the archived file `name` may be removed under `plan`. Timeline history files are
 * always kept (every recovery may need them, as Barman keeps them), and so is anything that is
 * not a WAL file name.
 */
export function walRemovable(name: string, plan: WalPlan): boolean {
  if (plan.cutoff === undefined || !WAL_LIKE.test(name)) return false;
  if (name >= plan.cutoff) return false;
  if (plan.protectedTimelines.includes(name.slice(0, 8))) return false;
  const segment = name.slice(0, 24);
  return !plan.protectedRanges.some(
    (range) => segment >= range.beginWal && segment <= range.endWal,
  );
}
