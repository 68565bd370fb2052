import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeBackupDirectory } from '../backup/delete-backup.ts';
import { listBackups } from '../catalog/backup-catalog.ts';
import { keepTarget } from '../catalog/backup-keep.ts';
import { lockPath, type ServerLayout, serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { Logger } from '../logging/logger.ts';
import { acquireLock } from '../storage/process-lock.ts';
import { catalogBackups } from './catalog-backups.ts';
import { describeRetention, retentionEnforced, retentionReport } from './retention-report.ts';
import { keepStatus, type RetentionStatus } from './retention-types.ts';
import { pruneWal } from './wal-pruning.ts';
import { planWalRetention, walRemovable } from './wal-retention.ts';

/** How to run a retention pass. */
export interface RetentionOptions {
  /** Only work out what would go; change nothing and take no lock. */
  readonly dryRun?: boolean;
  /** The time the recovery window is measured from; default the current time. */
  readonly now?: Date;
  readonly logger: Logger;
}

/** What one retention pass did for a server (or, in a dry run, would do). */
export interface RetentionOutcome {
  readonly server: string;
  /** False when neither retention_policy nor retention_gfs is set: nothing was looked at. */
  readonly enforced: boolean;
  /** The policies in words, e.g. `REDUNDANCY 2 or GFS 7d 4w`. */
  readonly policy: string;
  readonly dryRun: boolean;
  /** Every listed backup, oldest first, with its status before the pass. */
  readonly statuses: readonly { readonly backupId: string; readonly status: RetentionStatus }[];
  /** The backups deleted (would be deleted), oldest first. */
  readonly deletedBackups: readonly string[];
  /** Obsolete backups left in place, and why (kept meanwhile). */
  readonly skippedBackups: readonly { readonly backupId: string; readonly why: string }[];
  /** The archived WAL files removed (would be removed), in index order. */
  readonly removedWal: readonly string[];
  /** Their size as stored, in bytes. */
  readonly removedWalBytes: number;
  /** The first WAL that stays on the anchor's timeline (its begin_wal); undefined: no WAL goes. */
  readonly walCutoff: string | undefined;
  /** Why no WAL was looked at, when that is the case. */
  readonly walSkipped: string | undefined;
}

/**
 * Applies the server's retention: works out the status of every backup (retention-report.ts),
 * deletes the OBSOLETE ones oldest first (each renamed out of the catalog atomically, then
 * removed; a backup kept since the report was made is left alone), then removes the archived
 * WAL no staying backup needs (wal-retention.ts) with its xlog.db lines (wal-pruning.ts).
 * Runs under the server's backup lock (a running backup or delete makes it fail with
 * `lockHeld`, exit 4; callers like cron skip the server then) and the xlogdb lock while the
 * index is rewritten. A dry run takes no lock and changes nothing. Retention that is not
 * configured is a no-op (`enforced: false`), as in Barman. Nothing is printed; the outcome
 * says what happened and the logger gets one line per deletion.
 */
export async function applyRetention(
  server: ServerConfig,
  options: RetentionOptions,
): Promise<RetentionOutcome> {
  const dryRun = options.dryRun ?? false;
  const settings = server.settings;
  const base = { server: server.name, policy: describeRetention(settings), dryRun };
  if (!retentionEnforced(settings)) {
    return {
      ...base,
      enforced: false,
      statuses: [],
      deletedBackups: [],
      skippedBackups: [],
      removedWal: [],
      removedWalBytes: 0,
      walCutoff: undefined,
      walSkipped: 'retention is not configured',
    };
  }
  const logger = options.logger.child({ server: server.name });
  const layout = serverLayout(server.name, settings);
  const lock = dryRun ? undefined : await acquireLock(lockPath(layout, 'backup'), 'retention');
  try {
    const listing = await listBackups(layout);
    const backups = await catalogBackups(layout, listing);
    const report = new Map(retentionReport(backups, settings, options.now ?? new Date()));
    const statuses = backups.map((b) => ({
      backupId: b.backupId,
      status: report.get(b.backupId)!,
    }));
    const deletedBackups: string[] = [];
    const skippedBackups: { backupId: string; why: string }[] = [];
    for (const backup of backups.filter((b) => report.get(b.backupId) === 'OBSOLETE')) {
      if (!dryRun) {
        const kept = await keepTarget(layout, backup.backupId);
        if (kept) {
          report.set(backup.backupId, keepStatus(kept));
          skippedBackups.push({
            backupId: backup.backupId,
            why: `kept (target ${kept}) meanwhile`,
          });
          continue;
        }
        logger.info(`Enforcing retention policy: removing backup ${backup.backupId}`);
        await removeBackupDirectory(layout, backup.backupId);
      }
      deletedBackups.push(backup.backupId);
    }
    if (!dryRun) await sweepInterruptedDeletions(layout);
    const plan = planWalRetention(backups, report);
    const blocking = listing.problems.find(
      (problem) => plan.anchorId !== undefined && problem.backupId < plan.anchorId,
    );
    let walSkipped: string | undefined;
    if (blocking) {
      walSkipped = `backup directory ${blocking.backupId} cannot be read (${blocking.error.why}) and may need WAL`;
      logger.warn(`WAL kept: ${walSkipped}; repair or remove it`);
    } else if (plan.cutoff === undefined) walSkipped = 'no backup stays that WAL could be kept for';
    const pruning = walSkipped
      ? { removed: [], bytes: 0 }
      : await pruneWal(layout, (name) => walRemovable(name, plan), dryRun);
    if (!dryRun && pruning.removed.length > 0)
      logger.info(`removed ${pruning.removed.length} WAL file(s) before ${plan.cutoff}`);
    return {
      ...base,
      enforced: true,
      statuses,
      deletedBackups,
      skippedBackups,
      removedWal: pruning.removed.map((entry) => entry.name),
      removedWalBytes: pruning.bytes,
      walCutoff: plan.cutoff,
      walSkipped,
    };
  } finally {
    await lock?.release();
  }
}

/** Removes the `base/.<id>.deleting` directories an interrupted deletion left behind. */
async function sweepInterruptedDeletions(layout: ServerLayout): Promise<void> {
  let names: string[];
  try {
    names = await readdir(layout.base);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw ioError('cannot list backups', layout.base, error);
  }
  for (const name of names.filter((n) => /^\.\d{8}T\d{6}\.deleting$/.test(n))) {
    const path = join(layout.base, name);
    await rm(path, { recursive: true, force: true }).catch((error: unknown) => {
      throw ioError('cannot delete backup', path, error);
    });
  }
}
