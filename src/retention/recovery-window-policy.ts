import { type PeriodUnit, periodSeconds } from '../config/value-parsers.ts';
import {
  type CatalogBackup,
  keepStatus,
  newestFirst,
  type RetentionReport,
  type RetentionStatus,
} from './retention-types.ts';

/** A recovery window: `RECOVERY WINDOW OF <count> <unit>`. */
export interface RecoveryWindow {
  readonly count: number;
  readonly unit: PeriodUnit;
}

/**
 * The point of recoverability: `now` minus the window, a month counting 31 days and a day 24
 * hours, as Barman computes it.
 */
export function pointOfRecoverability(window: RecoveryWindow, now: Date): Date {
  return new Date(now.getTime() - periodSeconds(window) * 1000);
}

/**
 * `retention_policy = RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS`, as Barman's
 * RecoveryWindowRetentionPolicy: walking the DONE backups newest first, every backup is VALID
 * up to and including the first one that ended before the point of recoverability (it is the
 * one a recovery to the start of the window starts from); the older ones are OBSOLETE. While
 * fewer than `minimum_redundancy` backups were counted, an older one is kept as `OBSOLETE*`
 * instead. Kept backups are KEEP:* wherever they fall; inside the window they count towards
 * `minimum_redundancy`, outside it only while it is not yet met (Barman's order). A DONE backup
 * without an end time is treated as inside the window. Backups that are not DONE are `-`.
 */
export function recoveryWindowReport(
  backups: readonly CatalogBackup[],
  window: RecoveryWindow,
  minimumRedundancy: number,
  now: Date,
): RetentionReport {
  const point = pointOfRecoverability(window, now).getTime();
  const report = new Map<string, RetentionStatus>();
  let outside = false;
  let counted = 0;
  for (const backup of newestFirst(backups)) {
    if (backup.status !== 'DONE') {
      report.set(backup.backupId, '-');
      continue;
    }
    const kept = backup.keep ? keepStatus(backup.keep) : undefined;
    if (!outside) {
      report.set(backup.backupId, kept ?? 'VALID');
      counted++;
      if (backup.endTime !== undefined && backup.endTime.getTime() < point) outside = true;
      continue;
    }
    if (counted < minimumRedundancy) {
      report.set(backup.backupId, kept ?? 'OBSOLETE*');
      counted++;
      continue;
    }
    report.set(backup.backupId, kept ?? 'OBSOLETE');
  }
  return report;
}
