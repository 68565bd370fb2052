import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
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

/** How archive_command hands WAL to barkeep, as `check` reports it. */
export type WalShipping = 'put-wal' | 'barman-wal-archive' | 'incoming';

/**
 * Which of the three supported forms an archive_command uses, or undefined for none of them:
 * Barman's client `barman-wal-archive` (its tar stream to put-wal, usually through ssh),
 * `barkeep put-wal`, or a copy (the seed's rsync, cp, scp) into this server's `incoming/`.
 */
export function walShipping(
  archiveCommand: string | undefined,
  layout: ServerLayout,
): WalShipping | undefined {
  const command = archiveCommand ?? '';
  if (command.includes('barman-wal-archive')) return 'barman-wal-archive';
  if (/\bput-wal\b/.test(command)) return 'put-wal';
  if (command.includes(layout.incoming)) return 'incoming';
  return undefined;
}

const SHIPPING_NOTES: Record<WalShipping, string> = {
  'put-wal': 'put-wal: each segment is verified and stored as PostgreSQL archives it',
  'barman-wal-archive':
    "barman-wal-archive: Barman's client sends each segment to put-wal as a tar stream",
  incoming:
    'copied into incoming/: archive-wal, cron or serve verifies and stores what arrives there',
};

/**
 * `archive_command target`: archive_command must hand WAL to barkeep in one of the forms of
 * walShipping; the passing line names the form found, so an operator sees which path is live.
 */
export function archiveCommandTargetCheck(
  archiveCommand: string | undefined,
  layout: ServerLayout,
): CheckResult {
  const name = 'archive_command target';
  const shipping = walShipping(archiveCommand, layout);
  if (shipping) return passed(name, SHIPPING_NOTES[shipping]);
  return failed(
    name,
    `archive_command '${archiveCommand ?? ''}' neither runs 'barkeep put-wal ${layout.server} %p' nor copies into ${layout.incoming}`,
  );
}

/** How long a WAL file may wait in incoming/ before the check says nothing is storing it. */
export const INCOMING_STALE_MS = 5 * 60_000;

/**
 * `incoming WAL processing`: with WAL copied into incoming/, something must move it into the
 * archive. A WAL file waiting there longer than INCOMING_STALE_MS means no archive-wal, cron or
 * serve runs for this server: the copy works but nothing is archived yet.
 */
export async function incomingProcessingCheck(
  layout: ServerLayout,
  now: Date = new Date(),
): Promise<CheckResult> {
  const name = 'incoming WAL processing';
  let oldest: { name: string; mtimeMs: number } | undefined;
  try {
    for (const entry of await readdir(layout.incoming)) {
      if (!/^[0-9A-F]{24}/.test(entry)) continue;
      const { mtimeMs } = await stat(join(layout.incoming, entry));
      if (!oldest || mtimeMs < oldest.mtimeMs) oldest = { name: entry, mtimeMs };
    }
  } catch {
    // No incoming/ yet: nothing waits; the directories check reports a missing directory.
  }
  if (!oldest || now.getTime() - oldest.mtimeMs < INCOMING_STALE_MS) return passed(name);
  const minutes = Math.floor((now.getTime() - oldest.mtimeMs) / 60_000);
  return failed(
    name,
    `${oldest.name} has waited in ${layout.incoming} for ${minutes} minutes; run 'barkeep cron' every minute from cron, or 'barkeep serve', so it is archived`,
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
