import { readdir, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { parseLsn } from '../wal/lsn.ts';
import type { RecoveryTarget } from './recovery-target.ts';

/** A refusal before anything is copied (kind `operationFailed`, exit 1, nothing written). */
function refuse(subject: string, why: string, hint: string): BarkeepError {
  return new BarkeepError('operationFailed', { what: 'refused to recover', subject, why, hint });
}

/** DEST must not exist, or be an empty directory (a restore never mixes with other files). */
export async function checkEmptyDestination(path: string, what = 'destination'): Promise<void> {
  let names: string[];
  try {
    names = await readdir(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    if (errnoCode(error) === 'ENOTDIR')
      throw refuse(path, `the ${what} exists and is not a directory`, 'Choose another path.');
    throw ioError(`cannot inspect the ${what}`, path, error);
  }
  if (names.length > 0) {
    throw refuse(
      path,
      `the ${what} exists and is not empty (${names.length} entries)`,
      'Choose an empty or new directory; barkeep never overwrites files there.',
    );
  }
}

/**
 * The target must lie after the end of the backup (the backup is consistent only from there)
 * and within the WAL the archive holds; otherwise PostgreSQL would stop with an error after
 * everything was copied.
 */
export function checkTargetRange(
  info: BackupInfo,
  target: RecoveryTarget,
  lastWal: { time: Date | undefined; endLsn: bigint | undefined },
): void {
  if (target.kind === 'time') {
    const end = info.end_time?.date;
    if (end && target.date < end) {
      throw refuse(
        target.value,
        `backup ${info.backup_id} ended at ${info.end_time?.text}, after the target time`,
        'Choose an older backup (list-backups) or a later target.',
      );
    }
    if (lastWal.time && target.date.getTime() > lastWal.time.getTime() + 1000) {
      throw refuse(
        target.value,
        `the newest WAL available was written at ${lastWal.time.toISOString()}, before the target time`,
        'Use no target (latest) to recover everything there is.',
      );
    }
  }
  if (target.kind === 'lsn') {
    const lsn = parseLsn(target.value);
    if (info.end_xlog && lsn < parseLsn(info.end_xlog)) {
      throw refuse(
        target.value,
        `backup ${info.backup_id} ends at ${info.end_xlog}, after the target LSN`,
        'Choose an older backup or a later target.',
      );
    }
    if (lastWal.endLsn !== undefined && lsn > lastWal.endLsn) {
      throw refuse(
        target.value,
        'the target LSN is beyond the newest WAL available',
        'Use no target (latest) to recover everything there is.',
      );
    }
  }
}

/** Enough free space where DEST will be for the data and the WAL copied with it. */
export async function checkFreeSpace(destination: string, neededBytes: number): Promise<void> {
  let directory = destination;
  for (;;) {
    try {
      const stats = await statfs(directory);
      const free = stats.bavail * stats.bsize;
      if (free < neededBytes) {
        throw refuse(
          destination,
          `it needs about ${Math.ceil(neededBytes / 1024 / 1024)} MiB and ${directory} has ${Math.floor(free / 1024 / 1024)} MiB free`,
          'Free space or recover elsewhere.',
        );
      }
      return;
    } catch (error) {
      if (error instanceof BarkeepError) throw error;
      if (errnoCode(error) !== 'ENOENT' || directory === dirname(directory))
        throw ioError('cannot measure free space', directory, error);
      directory = dirname(directory);
    }
  }
}
