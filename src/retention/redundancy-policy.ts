import {
  type CatalogBackup,
  keepStatus,
  newestFirst,
  type RetentionReport,
  type RetentionStatus,
} from './retention-types.ts';

/**
 * `retention_policy = REDUNDANCY n`, as Barman's RedundancyRetentionPolicy: walking the DONE
 * backups newest first, the first `n` are VALID and the others OBSOLETE; `n` is raised to
 * `minimum_redundancy` when lower. A kept backup is reported KEEP:* and, as in Barman, still
 * counts as one of the `n` (so `REDUNDANCY 2` with the newest backup kept leaves one more VALID).
 * Backups that are not DONE are `-` and do not count.
 */
export function redundancyReport(
  backups: readonly CatalogBackup[],
  count: number,
  minimumRedundancy: number,
): RetentionReport {
  const redundancy = Math.max(count, minimumRedundancy);
  const report = new Map<string, RetentionStatus>();
  let seen = 0;
  for (const backup of newestFirst(backups)) {
    if (backup.status !== 'DONE') {
      report.set(backup.backupId, '-');
      continue;
    }
    if (backup.keep) report.set(backup.backupId, keepStatus(backup.keep));
    else report.set(backup.backupId, seen < redundancy ? 'VALID' : 'OBSOLETE');
    seen++;
  }
  return report;
}
