import { readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { ensureDirectory, writeFileDurable } from '../storage/durable-write.ts';
import { isProcessAlive, processStartTime } from '../storage/process-identity.ts';
import type { BackupInfo } from './backup-info.ts';
import { readBackupInfo, writeBackupInfo } from './backup-info.ts';
import { backupDirectory } from './backup-paths.ts';
import type { ServerLayout } from './server-layout.ts';

/**
 * The process running a backup, recorded in `base/<id>/.barkeep-process.json` beside
 * backup.info. It is a file of its own because Barman cannot load a backup.info with a key it
 * does not know; Barman ignores the file (it reads only `base/<id>/backup.info`) and deletes it
 * with the backup directory.
 */
export interface BackupProcess {
  readonly pid: number;
  /** The kernel's start time of the process, so a reused PID is not taken for it. */
  readonly startTime?: string;
  readonly host: string;
  readonly startedAt: string;
}

/**
 * Records the current process as the one running backup `backupId`. Call it once the ID is
 * claimed and before backup.info says STARTED; call {@link clearBackupProcess} after the final
 * status is written.
 */
export async function recordBackupProcess(layout: ServerLayout, backupId: string): Promise<void> {
  const startTime = processStartTime(process.pid);
  const record: BackupProcess = {
    pid: process.pid,
    ...(startTime === undefined ? {} : { startTime }),
    host: hostname(),
    startedAt: new Date().toISOString(),
  };
  const paths = backupDirectory(layout, backupId);
  await ensureDirectory(paths.directory, 0o700);
  await writeFileDurable(paths.process, `${JSON.stringify(record)}\n`);
}

/** Removes the process record of a backup (done when the backup reached its final status). */
export async function clearBackupProcess(layout: ServerLayout, backupId: string): Promise<void> {
  const path = backupDirectory(layout, backupId).process;
  try {
    await rm(path, { force: true });
  } catch (error) {
    throw ioError('cannot remove backup process record', path, error);
  }
}

/** The recorded process of a backup; undefined when there is none or it is not readable JSON. */
export async function readBackupProcess(
  layout: ServerLayout,
  backupId: string,
): Promise<BackupProcess | undefined> {
  const path = backupDirectory(layout, backupId).process;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('cannot read backup process record', path, error);
  }
  try {
    const parsed = JSON.parse(text) as Partial<BackupProcess>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      host: String(parsed.host ?? ''),
      startedAt: String(parsed.startedAt ?? ''),
      ...(typeof parsed.startTime === 'string' ? { startTime: parsed.startTime } : {}),
    };
  } catch {
    // Half-written by a process killed in the middle: nothing can be judged from it.
    return undefined;
  }
}

/** The `error` recorded on a backup whose process died (the text is part of barkeep's output). */
export function deadProcessError(pid: number): string {
  return `barkeep process ${pid} ended before the backup completed`;
}

/**
 * When `info` is STARTED and the process recorded as running it is gone (judged by PID and
 * start time, on this host only: a record from another host cannot be checked), rewrites its
 * backup.info as FAILED with {@link deadProcessError} and removes the record. backup.info is
 * read again after the process was found dead, so a backup that finished just before its
 * process exited keeps its final status. Returns the info as it now is and whether it changed;
 * a backup.info that cannot be rewritten is an io error, after which the backup is still
 * STARTED on disk.
 */
export async function failIfProcessDied(
  layout: ServerLayout,
  info: BackupInfo,
): Promise<{ readonly info: BackupInfo; readonly changed: boolean }> {
  if (info.status !== 'STARTED') return { info, changed: false };
  const owner = await readBackupProcess(layout, info.backup_id);
  if (owner === undefined || owner.host !== hostname()) return { info, changed: false };
  if (isProcessAlive(owner.pid, owner.startTime)) return { info, changed: false };
  const paths = backupDirectory(layout, info.backup_id);
  const current = await readBackupInfo(paths.info);
  if (current.status !== 'STARTED') return { info: current, changed: false };
  const failed: BackupInfo = { ...current, status: 'FAILED', error: deadProcessError(owner.pid) };
  await writeBackupInfo(paths.info, failed);
  await clearBackupProcess(layout, info.backup_id);
  return { info: failed, changed: true };
}
