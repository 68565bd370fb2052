import { listBackups } from '../catalog/backup-catalog.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { backupDirectory } from '../catalog/backup-paths.ts';
import { COPY_DONE_STATUSES } from '../catalog/backup-status.ts';
import type { ServerLayout } from '../catalog/server-layout.ts';
import type { Logger } from '../logging/logger.ts';
import { type HookCaller, runPostHooks, runPreHooks } from './hook-phases.ts';
import type { HookScripts } from './hook-settings.ts';
import type { RetryTiming } from './run-hook-script.ts';

/**
 * The variables of a backup hook, as Barman's `env_from_backup_info` sets them:
 * `BARMAN_BACKUP_DIR`, `BARMAN_BACKUP_ID`, `BARMAN_STATUS`, `BARMAN_ERROR` (the backup's error,
 * empty when none), and `BARMAN_PREVIOUS_ID` / `BARMAN_NEXT_ID`, the neighbouring backups that
 * are DONE or WAITING_FOR_WALS (empty when there is none).
 */
export async function backupHookEnvironment(
  layout: ServerLayout,
  info: BackupInfo,
): Promise<Record<string, string>> {
  const listing = await listBackups(layout);
  const complete = listing.backups
    .filter((backup) => COPY_DONE_STATUSES.includes(backup.status))
    .map((backup) => backup.backup_id);
  const previous = complete.filter((id) => id < info.backup_id).at(-1) ?? '';
  const next = complete.find((id) => id > info.backup_id) ?? '';
  return {
    BARMAN_BACKUP_DIR: backupDirectory(layout, info.backup_id).directory,
    BARMAN_BACKUP_ID: info.backup_id,
    BARMAN_PREVIOUS_ID: previous,
    BARMAN_NEXT_ID: next,
    BARMAN_STATUS: info.status,
    BARMAN_ERROR: info.error ?? '',
  };
}

/** What the backup hooks need besides the backup itself. */
export interface BackupHookCall {
  readonly hooks: HookScripts;
  readonly layout: ServerLayout;
  readonly logger: Logger;
  readonly timing?: RetryTiming;
}

function callerOf(call: BackupHookCall): HookCaller {
  return {
    server: call.layout.server,
    logger: call.logger,
    ...(call.timing ? { timing: call.timing } : {}),
  };
}

/**
 * `pre_backup_script` then `pre_backup_retry_script`, run once the backup is recorded STARTED
 * and before anything is copied; exit 63 of the retry script throws `hookAborted`, which the
 * backup records as its failure.
 */
export async function runPreBackupHooks(call: BackupHookCall, info: BackupInfo): Promise<void> {
  await runPreHooks(call.hooks, callerOf(call), await backupHookEnvironment(call.layout, info));
}

/**
 * `post_backup_retry_script` then `post_backup_script`, run once the backup is recorded DONE or
 * FAILED. Never throws: a failure to list the catalog for the variables is logged and the hooks
 * run without the neighbours.
 */
export async function runPostBackupHooks(call: BackupHookCall, info: BackupInfo): Promise<void> {
  let env: Record<string, string>;
  try {
    env = await backupHookEnvironment(call.layout, info);
  } catch (error) {
    call.logger.warn(`post-backup hooks: cannot list backups: ${(error as Error).message}`);
    env = {
      BARMAN_BACKUP_DIR: backupDirectory(call.layout, info.backup_id).directory,
      BARMAN_BACKUP_ID: info.backup_id,
      BARMAN_PREVIOUS_ID: '',
      BARMAN_NEXT_ID: '',
      BARMAN_STATUS: info.status,
      BARMAN_ERROR: info.error ?? '',
    };
  }
  await runPostHooks(call.hooks, callerOf(call), env);
}
