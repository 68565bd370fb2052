import { access, readdir } from 'node:fs/promises';
import type { ServerLayout } from '../catalog/server-layout.ts';
import type { ArchiverStats } from '../postgres/archiver-stats.ts';
import { type CheckResult, failed, passed } from './check-result.ts';

/**
 * `continuous archiving`: PostgreSQL's archiver must not be failing. It fails when the last
 * attempt failed after the last success (pg_stat_archiver), naming the file that failed.
 */
export function continuousArchivingCheck(stats: ArchiverStats): CheckResult {
  const name = 'continuous archiving';
  const failedLast =
    stats.lastFailedTime !== undefined &&
    (stats.lastArchivedTime === undefined || stats.lastFailedTime > stats.lastArchivedTime);
  if (!failedLast) return passed(name);
  return failed(
    name,
    `archive_command failed for ${stats.lastFailedWal} at ${stats.lastFailedTime?.toISOString()} (${stats.failedCount} failures); see the PostgreSQL log`,
  );
}

/**
 * `archive_command` must hand WAL to barkeep: `barkeep put-wal`, Barman's `barman-wal-archive`
 * (which barkeep's put-wal understands), or a copy into this server's `incoming/` directory.
 */
export function archiveCommandTargetCheck(
  archiveCommand: string | undefined,
  layout: ServerLayout,
): CheckResult {
  const name = 'archive_command target';
  const command = archiveCommand ?? '';
  const targets = ['put-wal', 'barman-wal-archive', layout.incoming];
  if (targets.some((target) => command.includes(target))) return passed(name);
  return failed(
    name,
    `archive_command '${command}' neither runs 'barkeep put-wal ${layout.server} %p' nor copies into ${layout.incoming}`,
  );
}

/** `archiver errors`: files in `errors/` are WAL barkeep refused; they need a look. */
export async function archiverErrorsCheck(layout: ServerLayout): Promise<CheckResult> {
  const name = 'archiver errors';
  let names: string[] = [];
  try {
    names = (await readdir(layout.errors)).filter((file) => !file.startsWith('.'));
  } catch {
    // A missing errors/ directory holds no errors; the directories check reports it.
  }
  if (names.length === 0) return passed(name);
  const counts = new Map<string, number>();
  for (const file of names) {
    const suffix = /\.(duplicate|unknown|error)(\.\d+)?$/.exec(file)?.[1] ?? 'other';
    counts.set(suffix, (counts.get(suffix) ?? 0) + 1);
  }
  const summary = [...counts].map(([suffix, count]) => `${suffix}: ${count}`).join(', ');
  return failed(name, `${summary} in ${layout.errors}; inspect them, then remove them`);
}

/** `WAL archive`: at least one WAL file has been received, proving WAL shipping works. */
export async function walArchiveCheck(layout: ServerLayout): Promise<CheckResult> {
  const name = 'WAL archive';
  try {
    const entries = await readdir(layout.wals);
    if (entries.some((entry) => /^[0-9A-F]{16}$/.test(entry) || entry.endsWith('.history'))) {
      await access(layout.xlogDb);
      return passed(name);
    }
  } catch {
    // No wals/ or no xlog.db: nothing archived yet.
  }
  return failed(
    name,
    `no WAL received yet in ${layout.wals}; make sure WAL shipping is set up (barkeep switch-wal --archive ${layout.server} tests it)`,
  );
}
