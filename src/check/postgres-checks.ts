import type { BackupRole, ServerFacts } from '../postgres/server-facts.ts';
import { type CheckResult, failed, passed } from './check-result.ts';

/**
 * What a non-superuser needs for barkeep's backups, as in Barman's documentation: read all
 * settings and statistics, run the backup functions, switch WAL and create restore points,
 * and (15+) request checkpoints; plus the REPLICATION attribute for streaming.
 */
export function missingBackupPrivileges(input: ServerFacts): string[] {
  if (input.isSuperuser) return [];
  const v15 = input.serverVersionNum >= 150000;
  const roles = [
    'pg_read_all_settings',
    'pg_read_all_stats',
    ...(v15 ? ['pg_checkpoint'] : []),
  ] as const;
  const functions = [
    [input.backupFunctions.start, input.canExecute.backupStart],
    [input.backupFunctions.stop, input.canExecute.backupStop],
    ['pg_switch_wal', input.canExecute.switchWal],
    ['pg_create_restore_point', input.canExecute.createRestorePoint],
  ] as const;
  return [
    ...roles
      .filter((role) => input.roleMemberships[role as BackupRole] !== true)
      .map((role) => `role ${role}`),
    ...functions.filter(([, allowed]) => !allowed).map(([name]) => `EXECUTE on ${name}()`),
    ...(input.hasReplicationAttribute ? [] : ['the REPLICATION attribute']),
  ];
}

/** `superuser or standard user with backup privileges`. */
export function privilegesCheck(input: ServerFacts): CheckResult {
  const name = 'superuser or standard user with backup privileges';
  const missing = missingBackupPrivileges(input);
  if (missing.length === 0) return passed(name);
  return failed(name, `missing ${missing.join(', ')}; grant them or connect as a superuser`);
}

/** `wal_level` must be replica or logical for physical backups and WAL archiving. */
export function walLevelCheck(input: ServerFacts): CheckResult {
  if (input.walLevel === 'replica' || input.walLevel === 'logical') return passed('wal_level');
  return failed(
    'wal_level',
    `wal_level is '${input.walLevel ?? 'unknown'}'; set wal_level = replica and restart PostgreSQL`,
  );
}

/** `archive_mode` must be on (or always) for archive_command to run. */
export function archiveModeCheck(input: ServerFacts): CheckResult {
  if (input.archiveMode === 'on' || input.archiveMode === 'always') return passed('archive_mode');
  return failed(
    'archive_mode',
    `archive_mode is '${input.archiveMode ?? 'unknown'}'; set archive_mode = on and restart PostgreSQL`,
  );
}

/** `archive_command` must be set (and not disabled) when the archiver is on. */
export function archiveCommandCheck(input: ServerFacts): CheckResult {
  const command = input.archiveCommand?.trim() ?? '';
  if (command !== '' && command !== '(disabled)') return passed('archive_command');
  if (input.archiveLibrary) {
    return failed(
      'archive_command',
      `archive_library '${input.archiveLibrary}' is used instead; set archive_command = 'barkeep put-wal SERVER %p' and archive_library = ''`,
    );
  }
  return failed(
    'archive_command',
    "archive_command is not set; set it to 'barkeep put-wal SERVER %p' (or rsync into incoming/) and reload",
  );
}

/** `max_wal_senders` must leave room for the streaming receiver. */
export function walSendersCheck(input: ServerFacts): CheckResult {
  if ((input.maxWalSenders ?? 0) > 0) return passed('max_wal_senders');
  return failed(
    'max_wal_senders',
    'max_wal_senders is 0; set it to at least 2 and restart PostgreSQL',
  );
}
