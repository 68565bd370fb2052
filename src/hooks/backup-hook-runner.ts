import { readBackupInfo } from '../catalog/backup-info.ts';
import { backupDirectory } from '../catalog/backup-paths.ts';
import type { ServerLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import type { Logger } from '../logging/logger.ts';
import { configuredHooks } from './hook-settings.ts';

/** The backup hooks of one backup, as run-backup.ts calls them. */
export interface BackupHookRunner {
  /** The pre hooks, for the backup just recorded STARTED; throws `hookAborted` on exit 63. */
  pre(backupId: string): Promise<void>;
  /** The post hooks, once backup.info says DONE or FAILED. Never throws. */
  post(backupId: string): Promise<void>;
}

/**
 * The backup hooks of a server, or undefined when none of `pre_/post_backup_script` and their
 * `_retry_` variants is set (then nothing is loaded or spawned). Each call reads the backup's
 * backup.info as it is on disk at that moment (STARTED before, DONE or FAILED after), so the
 * caller only names the backup.
 */
export function backupHookRunner(
  server: ServerConfig,
  layout: ServerLayout,
  logger: Logger,
): BackupHookRunner | undefined {
  const hooks = configuredHooks(server.settings, 'backup', server.file);
  if (!hooks) return undefined;
  const call = { hooks, layout, logger };
  const read = (backupId: string) => readBackupInfo(backupDirectory(layout, backupId).info);
  return {
    pre: async (backupId) => {
      const { runPreBackupHooks } = await import('./backup-hooks.ts');
      await runPreBackupHooks(call, await read(backupId));
    },
    post: async (backupId) => {
      try {
        const { runPostBackupHooks } = await import('./backup-hooks.ts');
        await runPostBackupHooks(call, await read(backupId));
      } catch (error) {
        logger.warn(`post-backup hooks of ${backupId} not run: ${(error as Error).message}`);
      }
    },
  };
}
