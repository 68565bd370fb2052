import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listBackups } from '../catalog/backup-catalog.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { keepTarget } from '../catalog/backup-keep.ts';
import { backupDirectory } from '../catalog/backup-paths.ts';
import { selectBackup } from '../catalog/backup-selector.ts';
import { lockPath, type ServerLayout, serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { ioError } from '../errors/system-error.ts';
import { fsyncDirectory } from '../storage/durable-write.ts';
import { acquireLock } from '../storage/process-lock.ts';

/**
 * `delete SERVER ID`: removes one backup under the server's backup lock. Refused for a kept
 * backup (release it first) and when it would leave fewer DONE backups than
 * `minimum_redundancy`; a backup still being taken is refused too. The directory is first
 * renamed out of the catalog in one atomic step, so an interrupted delete never leaves a
 * half-deleted backup that looks valid. Returns the deleted backup.
 */
export async function deleteBackup(server: ServerConfig, selector: string): Promise<BackupInfo> {
  const layout = serverLayout(server.name, server.settings);
  const lock = await acquireLock(lockPath(layout, 'backup'), 'delete');
  try {
    const listing = await listBackups(layout);
    const info = selectBackup(listing, selector);
    const refuse = (why: string, hint: string) =>
      new BarkeepError('operationFailed', {
        what: 'refused to delete backup',
        subject: info.backup_id,
        why,
        hint,
      });
    const kept = await keepTarget(layout, info.backup_id);
    if (kept)
      throw refuse(
        `it is kept (target ${kept})`,
        `Release it first: barkeep keep --release ${server.name} ${info.backup_id}.`,
      );
    if (info.status === 'STARTED')
      throw refuse('it is still being taken', 'Wait for it to finish or fail.');
    const done = listing.backups.filter((backup) => backup.status === 'DONE');
    const minimum = server.settings.minimum_redundancy;
    if (info.status === 'DONE' && done.length - 1 < minimum) {
      throw refuse(
        `only ${done.length} DONE backup(s) exist and minimum_redundancy is ${minimum}`,
        'Take another backup first, or lower minimum_redundancy.',
      );
    }
    await removeBackupDirectory(layout, info.backup_id);
    return info;
  } finally {
    await lock.release();
  }
}

/**
 * Removes a backup's directory: first renamed out of the catalog to `base/.<id>.deleting` in
 * one atomic, fsynced step (so an interrupted removal never leaves a half-deleted backup that
 * looks valid; listings skip dot names), then deleted. The caller holds the backup lock and has
 * decided the backup may go. A leftover `.<id>.deleting` of an interrupted removal is deleted
 * on the way.
 */
export async function removeBackupDirectory(layout: ServerLayout, backupId: string): Promise<void> {
  const paths = backupDirectory(layout, backupId);
  const doomed = join(layout.base, `.${backupId}.deleting`);
  try {
    await rm(doomed, { recursive: true, force: true });
    await rename(paths.directory, doomed);
    await fsyncDirectory(layout.base);
    await rm(doomed, { recursive: true, force: true });
  } catch (error) {
    throw ioError('cannot delete backup', paths.directory, error);
  }
}
