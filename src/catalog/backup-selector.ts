import { BarkeepError } from '../errors/barkeep-error.ts';
import type { BackupInfo } from './backup-info.ts';
import { isBackupIdShaped } from './backup-paths.ts';
import { COPY_DONE_STATUSES } from './backup-status.ts';

/**
 * The words Barman reserves in place of a backup ID (`RESERVED_BACKUP_IDS`): `latest`/`last`,
 * `oldest`/`first`, `last-failed`, `latest-full`/`last-full` (newer Barman), and `auto` (used
 * by barman-cloud-restore). None can be a backup name.
 */
export const BACKUP_SHORTCUTS: readonly string[] = Object.freeze([
  'latest',
  'last',
  'oldest',
  'first',
  'last-failed',
  'latest-full',
  'last-full',
  'auto',
]);

/** What a selector is resolved against: the backups of one server, sorted by ID. */
export interface SelectableBackups {
  readonly server: string;
  readonly backups: readonly BackupInfo[];
  /** Backups whose backup.info could not be read, so "unknown" is not said of them. */
  readonly problems?: readonly { readonly backupId: string; readonly error: BarkeepError }[];
}

/**
 * Resolves a backup argument as Barman's `parse_backup_id` does:
 * - `latest`/`last` and `oldest`/`first`: the newest / oldest backup by ID among the complete
 *   ones (WAITING_FOR_WALS or DONE); `latest-full`/`last-full`: the newest complete one that is
 *   not incremental; `last-failed`: the newest FAILED one;
 * - otherwise a backup ID (any status);
 * - otherwise a backup name, among the complete backups only; two backups with the name are an
 *   error naming both IDs.
 * A backup whose backup.info could not be read throws the error that made it unreadable. No
 * match is `backupNotFound` (exit 1), saying which backups exist.
 */
export function selectBackup(catalog: SelectableBackups, selector: string): BackupInfo {
  const { backups } = catalog;
  const complete = backups.filter((b) => COPY_DONE_STATUSES.includes(b.status));
  const newest = (list: readonly BackupInfo[]) => list[list.length - 1];
  let found: BackupInfo | undefined;
  let wanted: string | undefined;
  switch (selector) {
    case 'latest':
    case 'last':
      found = newest(complete);
      wanted = 'no backup that is DONE or WAITING_FOR_WALS';
      break;
    case 'oldest':
    case 'first':
      found = complete[0];
      wanted = 'no backup that is DONE or WAITING_FOR_WALS';
      break;
    case 'latest-full':
    case 'last-full':
      found = newest(complete.filter((b) => !b.parent_backup_id));
      wanted = 'no full backup that is DONE or WAITING_FOR_WALS';
      break;
    case 'last-failed':
      found = newest(backups.filter((b) => b.status === 'FAILED'));
      wanted = 'no FAILED backup';
      break;
    default:
      found = backups.find((b) => b.backup_id === selector);
      if (found) break;
      {
        const problem = catalog.problems?.find((p) => p.backupId === selector);
        if (problem) throw problem.error;
      }
      if (isBackupIdShaped(selector)) break;
      found = selectByName(catalog, complete, selector);
  }
  if (found) return found;
  throw new BarkeepError('backupNotFound', {
    what: 'unknown backup',
    subject: selector,
    why: `server '${catalog.server}' has ${wanted ?? 'no backup with this ID or name'}; ${describeBackups(backups)}`,
  });
}

function selectByName(
  catalog: SelectableBackups,
  complete: readonly BackupInfo[],
  name: string,
): BackupInfo | undefined {
  const named = complete.filter((b) => b.backup_name === name);
  if (named.length > 1) {
    throw new BarkeepError('backupNotFound', {
      what: 'ambiguous backup name',
      subject: name,
      why: `server '${catalog.server}' has ${named.length} backups with this name: ${named.map((b) => b.backup_id).join(' ')}`,
      hint: 'Use the backup ID instead.',
    });
  }
  if (named[0]) return named[0];
  // Barman looks names up among complete backups only; say so when the name is on another one.
  const other = catalog.backups.find((b) => b.backup_name === name);
  if (other) {
    throw new BarkeepError('backupNotFound', {
      what: 'unknown backup',
      subject: name,
      why: `the backup with this name, ${other.backup_id}, is ${other.status}, and names select only backups that are DONE or WAITING_FOR_WALS`,
      hint: `Use its ID, ${other.backup_id}.`,
    });
  }
  return undefined;
}

const LISTED = 5;

/** "it has: <id> '<name>' (<status>), ..." for the newest few backups, or "it has no backups". */
function describeBackups(backups: readonly BackupInfo[]): string {
  if (backups.length === 0) return 'it has no backups';
  const shown = backups.slice(-LISTED).reverse();
  const items = shown.map((b) => {
    const name = b.backup_name ? ` '${b.backup_name}'` : '';
    return `${b.backup_id}${name} (${b.status})`;
  });
  const more = backups.length > LISTED ? ` and ${backups.length - LISTED} older` : '';
  return `it has ${items.join(', ')}${more}`;
}

/**
 * Checks a backup name as Barman's `check_backup_name` does: not empty, not shaped like a
 * backup ID, not a reserved word; barkeep also refuses line breaks, which backup.info (raw
 * `backup_name=...` line) cannot hold. Returns the name; a bad one is a usage error (exit 2).
 */
export function checkBackupName(name: string): string {
  let why: string | undefined;
  if (name === '') why = 'a backup name cannot be empty';
  else if (isBackupIdShaped(name)) why = 'it has the form of a backup ID';
  else if (BACKUP_SHORTCUTS.includes(name)) why = 'it is a reserved word';
  else if (/[\r\n]/.test(name)) why = 'it contains a line break';
  else if (name.trim() !== name)
    why = 'it starts or ends with white space, which backup.info drops';
  if (why === undefined) return name;
  throw new BarkeepError('usage', { what: 'invalid backup name', subject: name, why });
}
