import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { ensureDirectory, fsyncDirectory } from '../storage/durable-write.ts';
import type { ServerLayout } from './server-layout.ts';

/** Where the parts of one backup live, Barman's layout (backup version 2). */
export interface BackupPaths {
  /** `base/<id>`. */
  readonly directory: string;
  /** `base/<id>/backup.info`. */
  readonly info: string;
  /** `base/<id>/data`: the copy of PGDATA, or Barman's `base.tar[.gz|.zst|.lz4]` archives. */
  readonly data: string;
  /** `base/<id>/annotations`: Barman's per-backup annotations. */
  readonly annotations: string;
  /** `base/<id>/annotations/keep`: Barman's keep annotation (`full` or `standalone`). */
  readonly keepAnnotation: string;
  /** `base/<id>/.barkeep-process.json`: the process running the backup (backup-process.ts). */
  readonly process: string;
  /** `base/<id>/<oid>`: the copy of one tablespace. */
  tablespace(oid: number): string;
}

/**
 * The paths of a backup. The ID must be a plain directory name: one with `/`, `.` or `..`
 * would point outside `base/`, and is refused as an internal error (IDs from the command line
 * reach here only after resolution against the listing).
 */
export function backupDirectory(layout: ServerLayout, backupId: string): BackupPaths {
  if (backupId === '' || backupId === '.' || backupId === '..' || /[/\0]/.test(backupId)) {
    throw new BarkeepError('internal', {
      what: 'invalid backup ID',
      subject: backupId,
      why: 'a backup ID is a directory name under base/',
    });
  }
  const directory = join(layout.base, backupId);
  const annotations = join(directory, 'annotations');
  return {
    directory,
    info: join(directory, 'backup.info'),
    data: join(directory, 'data'),
    annotations,
    keepAnnotation: join(annotations, 'keep'),
    process: join(directory, '.barkeep-process.json'),
    tablespace: (oid) => join(directory, String(oid)),
  };
}

/** Barman's ID form, `YYYYMMDDTHHMMSS` (`is_backup_id`: the regex `\d{8}T\d{6}`). */
export function isBackupIdShaped(text: string): boolean {
  return /^\d{8}T\d{6}$/.test(text);
}

/** A backup ID for a start time: its local time as `YYYYMMDDTHHMMSS`, as Barman names backups. */
export function formatBackupId(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${pad(date.getFullYear(), 4)}${pad(date.getMonth() + 1)}${pad(date.getDate())}T` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

const MAX_ADVANCE_SECONDS = 3600;

/**
 * Chooses the ID of a new backup started at `date` and claims it by creating `base/<id>`
 * (mode 0700; creating a directory either succeeds or finds it there, so two processes never
 * get the same ID). When the ID is taken (another backup started in the same second, or the
 * clock was set back), the next free second is used: the ID is then a little later than the
 * start, never shared. Barman itself would reuse the existing directory.
 */
export async function newBackupId(layout: ServerLayout, date: Date = new Date()): Promise<string> {
  await ensureDirectory(layout.base, 0o700);
  for (let advance = 0; advance < MAX_ADVANCE_SECONDS; advance++) {
    const backupId = formatBackupId(new Date(date.getTime() + advance * 1000));
    const directory = join(layout.base, backupId);
    try {
      await mkdir(directory, { mode: 0o700 });
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') continue;
      throw ioError('cannot create backup directory', directory, error);
    }
    await fsyncDirectory(layout.base);
    return backupId;
  }
  throw new BarkeepError('operationFailed', {
    what: 'cannot choose a backup ID',
    subject: layout.base,
    why: `every second of the hour from ${formatBackupId(date)} is taken by a backup directory`,
    hint: 'Remove the stray directories under base/ or check the system clock.',
  });
}
