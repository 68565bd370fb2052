import { GFS_PERIODS, type GfsPeriod, type GfsSchedule } from './gfs-schedule.ts';
import {
  type CatalogBackup,
  keepStatus,
  newestFirst,
  type RetentionReport,
  type RetentionStatus,
} from './retention-types.ts';

/**
 * The calendar period a local time falls in, as a sortable key: `2026-11-24` for a day, the
 * ISO week-numbering year and week (`2026-W48`, weeks start on Monday), `2026-11`, `2026`.
 */
export function periodKey(date: Date, period: GfsPeriod): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const year = date.getFullYear();
  switch (period) {
    case 'days':
      return `${year}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
    case 'weeks': {
      // The Thursday of the date's ISO week decides the week-numbering year.
      const thursday = new Date(year, date.getMonth(), date.getDate());
      thursday.setDate(thursday.getDate() + 3 - ((thursday.getDay() + 6) % 7));
      const weekYear = thursday.getFullYear();
      const firstThursday = new Date(weekYear, 0, 4);
      firstThursday.setDate(firstThursday.getDate() + 3 - ((firstThursday.getDay() + 6) % 7));
      const week =
        1 + Math.round((thursday.getTime() - firstThursday.getTime()) / (7 * 86_400_000));
      return `${weekYear}-W${pad(week)}`;
    }
    case 'months':
      return `${year}-${pad(date.getMonth() + 1)}`;
    case 'years':
      return String(year);
  }
}

/** The time a backup is filed under: its end, else the start its ID spells (local time). */
function backupTime(backup: CatalogBackup): Date | undefined {
  if (backup.endTime) return backup.endTime;
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/.exec(backup.backupId);
  if (!match) return undefined;
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(y, mo - 1, d, h, mi, s);
}

/**
 * barkeep's GFS policy (`retention_gfs`): for each period kind with a count N, walking the DONE
 * backups newest first, the newest backup of each of the N most recent days (weeks, months,
 * years) *that have a DONE backup* is VALID; a DONE backup no period keeps is OBSOLETE. Periods
 * without a backup are skipped rather than counted, so a pause in backups never makes the
 * older ones expire (as restic's `--keep-daily` counts). Periods are local calendar days, ISO
 * weeks, calendar months and years of the backup's end time. The newest `minimum_redundancy`
 * DONE backups are always VALID. Kept backups are KEEP:* and take their period's place like any
 * other. Backups that are not DONE are `-`.
 */
export function gfsReport(
  backups: readonly CatalogBackup[],
  schedule: GfsSchedule,
  minimumRedundancy: number,
): RetentionReport {
  const done = newestFirst(backups).filter((backup) => backup.status === 'DONE');
  const chosen = new Set<string>(done.slice(0, minimumRedundancy).map((b) => b.backupId));
  for (const period of GFS_PERIODS) {
    const wanted = schedule[period];
    if (wanted <= 0) continue;
    const periods = new Set<string>();
    for (const backup of done) {
      const time = backupTime(backup);
      if (time === undefined) {
        // No time to file it under: keep it rather than guess.
        chosen.add(backup.backupId);
        continue;
      }
      const key = periodKey(time, period);
      if (periods.has(key)) continue;
      if (periods.size >= wanted) break;
      periods.add(key);
      chosen.add(backup.backupId);
    }
  }
  const report = new Map<string, RetentionStatus>();
  for (const backup of backups) {
    if (backup.status !== 'DONE') report.set(backup.backupId, '-');
    else if (backup.keep) report.set(backup.backupId, keepStatus(backup.keep));
    else report.set(backup.backupId, chosen.has(backup.backupId) ? 'VALID' : 'OBSOLETE');
  }
  return report;
}
