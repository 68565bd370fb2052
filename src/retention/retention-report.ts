import type { RetentionPolicy } from '../config/value-parsers.ts';
import { gfsReport } from './gfs-policy.ts';
import { formatGfsSchedule, type GfsSchedule } from './gfs-schedule.ts';
import { recoveryWindowReport } from './recovery-window-policy.ts';
import { redundancyReport } from './redundancy-policy.ts';
import type { CatalogBackup, RetentionReport, RetentionStatus } from './retention-types.ts';

/** The retention settings of one server (a subset of its effective settings). */
export interface RetentionSettings {
  readonly retention_policy?: RetentionPolicy | undefined;
  /** barkeep's own GFS schedule (`retention_gfs`). */
  readonly retention_gfs?: GfsSchedule | undefined;
  readonly minimum_redundancy: number;
}

/** True when at least one policy is configured, i.e. retention is enforced for the server. */
export function retentionEnforced(settings: RetentionSettings): boolean {
  return settings.retention_policy !== undefined || settings.retention_gfs !== undefined;
}

/**
 * The configured policies in words, e.g. `REDUNDANCY 2 or GFS 7d 4w, minimum redundancy 1`;
 * `none` when retention is not enforced.
 */
export function describeRetention(settings: RetentionSettings): string {
  const parts: string[] = [];
  const policy = settings.retention_policy;
  if (policy?.kind === 'redundancy') parts.push(`REDUNDANCY ${policy.count}`);
  if (policy?.kind === 'recovery-window')
    parts.push(`RECOVERY WINDOW OF ${policy.count} ${policy.unit.toUpperCase()}`);
  if (settings.retention_gfs) parts.push(`GFS ${formatGfsSchedule(settings.retention_gfs)}`);
  if (parts.length === 0) return 'none';
  const minimum = settings.minimum_redundancy;
  return `${parts.join(' or ')}${minimum > 0 ? `, minimum redundancy ${minimum}` : ''}`;
}

/** How strongly a status keeps a backup; the combination takes the strongest. */
const STRENGTH: Readonly<Record<RetentionStatus, number>> = {
  OBSOLETE: 0,
  'OBSOLETE*': 1,
  VALID: 2,
  '-': 3,
  'KEEP:STANDALONE': 4,
  'KEEP:FULL': 4,
};

/**
 * Combines the reports of several policies: a backup goes only when every policy lets it go
 * ("keep if either keeps it"). Each report covers the same catalog.
 */
export function combineReports(reports: readonly RetentionReport[]): RetentionReport {
  const combined = new Map<string, RetentionStatus>();
  for (const report of reports) {
    for (const [id, status] of report) {
      const current = combined.get(id);
      if (current === undefined || STRENGTH[status] > STRENGTH[current]) combined.set(id, status);
    }
  }
  return combined;
}

/**
 * The retention status of every backup under the server's policies: `retention_policy`
 * (Barman's REDUNDANCY or RECOVERY WINDOW, relative to `now`) and barkeep's `retention_gfs`,
 * combined so that a backup is OBSOLETE only when each configured policy says so, and never
 * below `minimum_redundancy`. Undefined when no policy is configured (retention not enforced).
 */
export function retentionReport(
  backups: readonly CatalogBackup[],
  settings: RetentionSettings,
  now: Date,
): RetentionReport | undefined {
  const reports: RetentionReport[] = [];
  const minimum = settings.minimum_redundancy;
  const policy = settings.retention_policy;
  if (policy?.kind === 'redundancy') reports.push(redundancyReport(backups, policy.count, minimum));
  if (policy?.kind === 'recovery-window')
    reports.push(recoveryWindowReport(backups, policy, minimum, now));
  if (settings.retention_gfs) reports.push(gfsReport(backups, settings.retention_gfs, minimum));
  return reports.length === 0 ? undefined : combineReports(reports);
}
