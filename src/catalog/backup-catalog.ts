import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { type BackupInfo, readBackupInfo } from './backup-info.ts';
import { backupDirectory } from './backup-paths.ts';
import { failIfProcessDied } from './backup-process.ts';
import { selectBackup } from './backup-selector.ts';
import type { ServerLayout } from './server-layout.ts';

/** A backup directory that is not listed as a backup, and why. */
export interface CatalogProblem {
  readonly backupId: string;
  /** The file concerned (the backup.info, or the directory when it has none). */
  readonly path: string;
  /** What is wrong, in the contract's error form (`backupInfoInvalid`, or `io`). */
  readonly error: BarkeepError;
}

/** The backups of one server as the catalog holds them. */
export interface BackupListing {
  readonly server: string;
  /** Every readable backup, any status, sorted by backup ID (oldest first). */
  readonly backups: readonly BackupInfo[];
  /**
   * Directories under `base/` that could not be listed: no backup.info, or one that does not
   * read or parse. Commands print these as warnings and go on; Barman would stop at the first.
   */
  readonly problems: readonly CatalogProblem[];
  /** IDs of STARTED backups found dead during this listing and now recorded FAILED. */
  readonly markedFailed: readonly string[];
}

/**
 * Lists a server's backups: every directory `base/<id>` (names starting with `.` skipped, as
 * Barman's `base/*\/backup.info` glob skips them) with its backup.info read. A missing,
 * unreadable or malformed backup.info becomes a {@link CatalogProblem} instead of failing the
 * listing, so one damaged backup never hides the others. A STARTED backup whose recorded
 * process is dead is rewritten FAILED on the way ({@link markDeadBackupsFailed}), so whichever
 * command lists next notices. A server without `base/` has no backups.
 */
export async function listBackups(layout: ServerLayout): Promise<BackupListing> {
  let entries: Dirent[];
  try {
    entries = await readdir(layout.base, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      return { server: layout.server, backups: [], problems: [], markedFailed: [] };
    }
    throw ioError('cannot list backups', layout.base, error);
  }
  const ids = entries
    .filter((entry) => !entry.name.startsWith('.'))
    .filter((entry) => entry.isDirectory() || entry.isSymbolicLink())
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const results = await Promise.all(ids.map((id) => readListed(layout, id)));
  const backups: BackupInfo[] = [];
  const problems: CatalogProblem[] = [];
  const markedFailed: string[] = [];
  for (const result of results) {
    if (result.info) backups.push(result.info);
    if (result.problem) problems.push(result.problem);
    if (result.markedFailed) markedFailed.push(result.info!.backup_id);
  }
  return { server: layout.server, backups, problems, markedFailed };
}

interface ListedBackup {
  readonly info?: BackupInfo;
  readonly problem?: CatalogProblem;
  readonly markedFailed?: boolean;
}

async function readListed(layout: ServerLayout, backupId: string): Promise<ListedBackup> {
  const paths = backupDirectory(layout, backupId);
  let info: BackupInfo;
  try {
    info = await readBackupInfo(paths.info);
  } catch (error) {
    const code = isBarkeepError(error) ? errnoCode(error.cause) : undefined;
    // A symbolic link to a file, or one pointing nowhere: not a backup directory.
    if (code === 'ENOTDIR') return {};
    if (code === 'ENOENT') {
      const why =
        'the directory has no backup.info: a backup being created, or one whose deletion was interrupted';
      const missing = new BarkeepError('backupInfoInvalid', {
        what: 'backup without backup.info',
        subject: paths.directory,
        why,
        hint: 'If no backup is running, remove the directory or restore its backup.info.',
      });
      return { problem: { backupId, path: paths.directory, error: missing } };
    }
    return { problem: { backupId, path: paths.info, error: asBarkeepError(error, paths.info) } };
  }
  try {
    const checked = await failIfProcessDied(layout, info);
    return { info: checked.info, markedFailed: checked.changed };
  } catch (error) {
    // The backup stays listed as it is on disk; the failure to record its end is reported.
    return {
      info,
      problem: { backupId, path: paths.info, error: asBarkeepError(error, paths.info) },
    };
  }
}

/**
 * Rewrites as FAILED every STARTED backup whose barkeep process died (killed, crashed, host
 * rebooted), with `error` naming the process; returns their IDs. {@link listBackups} does this
 * on every listing; this entry point is for commands that want only that (e.g. `cron`).
 */
export async function markDeadBackupsFailed(layout: ServerLayout): Promise<readonly string[]> {
  return (await listBackups(layout)).markedFailed;
}

/**
 * Reads one backup by exact ID; `backupNotFound` when `base/<id>/backup.info` does not exist.
 * Dead STARTED backups are recognised here too.
 */
export async function readBackup(layout: ServerLayout, backupId: string): Promise<BackupInfo> {
  const paths = backupDirectory(layout, backupId);
  let info: BackupInfo;
  try {
    info = await readBackupInfo(paths.info);
  } catch (error) {
    if (isBarkeepError(error) && errnoCode(error.cause) === 'ENOENT') {
      throw new BarkeepError('backupNotFound', {
        what: 'unknown backup',
        subject: backupId,
        why: `server '${layout.server}' has no backup with this ID`,
      });
    }
    throw error;
  }
  return (await failIfProcessDied(layout, info)).info;
}

/**
 * Resolves a command-line backup argument (ID, name or shortcut; see selectBackup) against
 * the server's current listing. Returns the backup; throws `backupNotFound` (exit 1) naming the
 * backups that exist when nothing matches.
 */
export async function resolveBackup(layout: ServerLayout, selector: string): Promise<BackupInfo> {
  return selectBackup(await listBackups(layout), selector);
}

function asBarkeepError(error: unknown, path: string): BarkeepError {
  return isBarkeepError(error) ? error : ioError('cannot read backup', path, error);
}
