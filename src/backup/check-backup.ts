import { listBackups } from '../catalog/backup-catalog.ts';
import { type BackupInfo, writeBackupInfo } from '../catalog/backup-info.ts';
import { backupDirectory } from '../catalog/backup-paths.ts';
import { selectBackup } from '../catalog/backup-selector.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { missingSegments, requiredSegments } from './wait-for-wals.ts';

/** What `check-backup` found for a backup whose WAL is all archived. */
export interface BackupWalCheck {
  readonly info: BackupInfo;
  /** The segments from begin_wal to end_wal, all in the archive. */
  readonly segments: readonly string[];
  /** True when the backup was WAITING_FOR_WALS and is now recorded DONE. */
  readonly markedDone: boolean;
}

const LISTED = 10;

/**
 * `check-backup SERVER ID`: checks that every WAL segment from the backup's begin_wal to its
 * end_wal is in the archive (`wals/`), so the backup can be made consistent. A backup still
 * being taken (STARTED), a FAILED one, and one whose WAL is not all archived fail the check
 * (`checkFailed`, exit 3), naming the missing segments. As Barman's check-backup does, a
 * WAITING_FOR_WALS backup whose WAL has all arrived is recorded DONE; unlike Barman, a DONE
 * backup with a gap is reported but not rewritten FAILED (the segment may still be put back).
 */
export async function checkBackup(server: ServerConfig, selector: string): Promise<BackupWalCheck> {
  const layout = serverLayout(server.name, server.settings);
  const info = selectBackup(await listBackups(layout), selector);
  const fail = (why: string, hint?: string) =>
    new BarkeepError('checkFailed', {
      what: 'backup WAL check failed',
      subject: info.backup_id,
      why,
      ...(hint ? { hint } : {}),
    });
  if (info.status === 'STARTED')
    throw fail(
      'the backup is still being taken (STARTED), so the WAL it needs is not known yet',
      'Run check-backup again once the backup has finished.',
    );
  if (info.status === 'FAILED')
    throw fail(
      `the backup FAILED${info.error ? ` (${info.error})` : ''}`,
      'A failed backup cannot be used; take a new one.',
    );
  const segments = requiredSegments(info);
  if (segments.length === 0)
    throw fail(
      `backup.info has no begin_wal and end_wal (status ${info.status})`,
      'The backup.info is incomplete; check it, or take a new backup.',
    );
  const missing = await missingSegments(server, info);
  if (missing.length > 0) {
    const shown = missing.slice(0, LISTED).join(', ');
    const more = missing.length > LISTED ? ` and ${missing.length - LISTED} more` : '';
    const waiting = info.status === 'WAITING_FOR_WALS' ? ' (the backup is WAITING_FOR_WALS)' : '';
    throw fail(
      `${missing.length} of the ${segments.length} WAL segment(s) from ${info.begin_wal} to ${info.end_wal} are not in the archive${waiting}: ${shown}${more}`,
      `Check archiving with 'barkeep check ${server.name}' and run 'barkeep archive-wal ${server.name}'; without these segments the backup cannot be recovered.`,
    );
  }
  let markedDone = false;
  let checked = info;
  if (info.status === 'WAITING_FOR_WALS') {
    checked = { ...info, status: 'DONE' };
    await writeBackupInfo(backupDirectory(layout, info.backup_id).info, checked);
    markedDone = true;
  }
  return { info: checked, segments, markedDone };
}
