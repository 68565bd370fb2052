// Synthetic catalogs for the retention policy tests: one line per backup.
import type { KeepTarget } from '../../src/catalog/backup-keep.ts';
import type { BackupStatus } from '../../src/catalog/backup-status.ts';
import type { CatalogBackup, RetentionReport } from '../../src/retention/retention-types.ts';

/** The fixed "now" of the tests: 2026-03-15 12:00 local time (a Sunday). */
export const NOW = new Date(2026, 2, 15, 12, 0, 0);

const DAY = 86_400_000;

/** The segment name of timeline `tli`, segment number `n` (16 MiB segments, log 0). */
export function wal(n: number, tli = 1): string {
  return `${tli.toString(16).toUpperCase().padStart(8, '0')}00000000${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** The backup ID for a local time. */
export function idAt(date: Date): string {
  const pad = (v: number) => String(v).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}T${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** What a synthetic backup may say beyond its defaults. */
export interface BackupSpec {
  readonly status?: BackupStatus;
  readonly keep?: KeepTarget;
  /** Begin and end segment numbers (end defaults to begin + 1). */
  readonly wal?: number;
  readonly endWal?: number;
  readonly timeline?: number;
  /** Without an end time (the policies must cope). */
  readonly noEndTime?: boolean;
}

/**
 * A DONE backup that ended `daysAgo` days before NOW (fractions allowed), ID from its start
 * (10 minutes earlier), WAL `wal`..`wal+1` unless said otherwise.
 */
export function backup(daysAgo: number, spec: BackupSpec = {}): CatalogBackup {
  const end = new Date(NOW.getTime() - daysAgo * DAY);
  const begin = new Date(end.getTime() - 10 * 60_000);
  const first = spec.wal ?? 100;
  return {
    backupId: idAt(begin),
    status: spec.status ?? 'DONE',
    endTime: spec.noEndTime ? undefined : end,
    beginWal: wal(first, spec.timeline),
    endWal: wal(spec.endWal ?? first + 1, spec.timeline),
    keep: spec.keep,
  };
}

/** The statuses of a report in catalog order (oldest first), for compact assertions. */
export function statuses(backups: readonly CatalogBackup[], report: RetentionReport): string[] {
  return [...backups]
    .sort((a, b) => a.backupId.localeCompare(b.backupId))
    .map((b) => report.get(b.backupId) ?? '?');
}
