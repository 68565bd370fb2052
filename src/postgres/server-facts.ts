import type { Client } from 'pg';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import { runQuery } from './run-query.ts';

/** Predefined roles that grant what a backup role needs without superuser. */
export const backupRoles = [
  'pg_read_all_settings',
  'pg_read_all_stats',
  'pg_checkpoint',
  'pg_read_server_files',
  'pg_monitor',
] as const;

/** One of {@link backupRoles}. */
export type BackupRole = (typeof backupRoles)[number];

/** Whether the connected role may execute the functions a backup uses. */
export interface ExecutePrivileges {
  /** `pg_backup_start` (15+) or `pg_start_backup` (14). */
  readonly backupStart: boolean;
  /** `pg_backup_stop` (15+) or `pg_stop_backup` (14). */
  readonly backupStop: boolean;
  readonly switchWal: boolean;
  readonly createRestorePoint: boolean;
}

/**
 * What `barkeep check` (and backup, before it starts) needs to know about a server and the role
 * it connects as. A setting the role may not read (superuser-only without `pg_read_all_settings`)
 * is undefined rather than an error, so `check` can say what is missing.
 */
export interface ServerFacts {
  /** e.g. 170002. */
  readonly serverVersionNum: number;
  /** e.g. `17.2 (Debian 17.2-1.pgdg120+1)`. */
  readonly serverVersion: string;
  /** From `pg_control_system()`, as a decimal string (it does not fit a JS number). */
  readonly systemIdentifier: string | undefined;
  readonly currentUser: string;
  readonly isSuperuser: boolean;
  /** The role has the REPLICATION attribute (needed for streaming and BASE_BACKUP). */
  readonly hasReplicationAttribute: boolean;
  readonly isInRecovery: boolean;
  /** Whether the role has the privileges of each predefined role; undefined where it does not exist (pg_checkpoint before 15). */
  readonly roleMemberships: Readonly<Record<BackupRole, boolean | undefined>>;
  /** The names of the backup functions on this version. */
  readonly backupFunctions: { readonly start: string; readonly stop: string };
  readonly canExecute: ExecutePrivileges;
  readonly walLevel: string | undefined;
  /** `off`, `on` or `always`. */
  readonly archiveMode: string | undefined;
  /** As the server shows it: `(disabled)` while archive_mode is off. */
  readonly archiveCommand: string | undefined;
  /** 15+; undefined on 14. */
  readonly archiveLibrary: string | undefined;
  readonly maxWalSenders: number | undefined;
  readonly maxReplicationSlots: number | undefined;
  readonly dataDirectory: string | undefined;
  readonly configFile: string | undefined;
  readonly hbaFile: string | undefined;
  readonly identFile: string | undefined;
  readonly dataChecksums: boolean | undefined;
  /** In bytes. */
  readonly walSegmentSize: number | undefined;
}

const SETTINGS = [
  'wal_level',
  'archive_mode',
  'archive_command',
  'archive_library',
  'max_wal_senders',
  'max_replication_slots',
  'data_directory',
  'config_file',
  'hba_file',
  'ident_file',
  'data_checksums',
  'wal_segment_size',
] as const;

const FUNCTIONS = [
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_switch_wal',
  'pg_create_restore_point',
] as const;

/**
 * Reads the facts barkeep's checks need from a regular (non-replication) connection, on
 * PostgreSQL 14 to 18, as superuser or not. Only catalog views and functions every role may use
 * are queried; `pg_settings` simply hides what the role may not see.
 *
 * @throws BarkeepError `postgresQuery` / `postgresConnection` when a query fails for another reason.
 */
export async function readServerFacts(client: Client): Promise<ServerFacts> {
  const [basics] = await runQuery<{
    version_num: number;
    version: string;
    in_recovery: boolean;
    role_name: string;
    is_superuser: boolean;
    has_replication: boolean;
  }>(
    client,
    `SELECT current_setting('server_version_num')::int AS version_num,
            current_setting('server_version') AS version,
            pg_catalog.pg_is_in_recovery() AS in_recovery,
            r.rolname AS role_name, r.rolsuper AS is_superuser, r.rolreplication AS has_replication
       FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`,
  );
  if (basics === undefined) {
    throw new BarkeepError('internal', {
      what: 'cannot read server facts',
      subject: 'pg_roles',
      why: 'the current role is not listed in pg_roles',
    });
  }

  const roles = await runQuery<{ rolname: string; has: boolean }>(
    client,
    `SELECT rolname, pg_catalog.pg_has_role(current_user, oid, 'USAGE') AS has
       FROM pg_catalog.pg_roles WHERE rolname IN (${quoteList(backupRoles)})`,
  );
  const roleMemberships = Object.fromEntries(
    backupRoles.map((role) => [role, roles.find((row) => row.rolname === role)?.has]),
  ) as Record<BackupRole, boolean | undefined>;

  const functions = await runQuery<{ proname: string; can_execute: boolean }>(
    client,
    `SELECT p.proname, bool_or(pg_catalog.has_function_privilege(p.oid, 'EXECUTE')) AS can_execute
       FROM pg_catalog.pg_proc p
      WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname IN (${quoteList(FUNCTIONS)})
      GROUP BY p.proname`,
  );
  const may = (name: string): boolean =>
    functions.find((row) => row.proname === name)?.can_execute ?? false;
  const modern = basics.version_num >= 150000;
  const backupFunctions = modern
    ? { start: 'pg_backup_start', stop: 'pg_backup_stop' }
    : { start: 'pg_start_backup', stop: 'pg_stop_backup' };

  const rows = await runQuery<{ name: string; setting: string | null; unit: string | null }>(
    client,
    `SELECT name, setting, unit FROM pg_catalog.pg_settings WHERE name IN (${quoteList(SETTINGS)})`,
  );
  const setting = (name: (typeof SETTINGS)[number]): string | undefined =>
    rows.find((row) => row.name === name)?.setting ?? undefined;
  const segment = rows.find((row) => row.name === 'wal_segment_size');

  return {
    serverVersionNum: basics.version_num,
    serverVersion: basics.version,
    systemIdentifier: await readSystemIdentifier(client),
    currentUser: basics.role_name,
    isSuperuser: basics.is_superuser,
    hasReplicationAttribute: basics.has_replication,
    isInRecovery: basics.in_recovery,
    roleMemberships,
    backupFunctions,
    canExecute: {
      backupStart: may(backupFunctions.start),
      backupStop: may(backupFunctions.stop),
      switchWal: may('pg_switch_wal'),
      createRestorePoint: may('pg_create_restore_point'),
    },
    walLevel: setting('wal_level'),
    archiveMode: setting('archive_mode'),
    archiveCommand: setting('archive_command'),
    archiveLibrary: setting('archive_library'),
    maxWalSenders: toInteger(setting('max_wal_senders')),
    maxReplicationSlots: toInteger(setting('max_replication_slots')),
    dataDirectory: setting('data_directory'),
    configFile: setting('config_file'),
    hbaFile: setting('hba_file'),
    identFile: setting('ident_file'),
    dataChecksums: toBoolean(setting('data_checksums')),
    walSegmentSize: toBytes(segment?.setting ?? undefined, segment?.unit ?? null),
  };
}

/** pg_control_system() is executable by PUBLIC by default, but an administrator may revoke it. */
async function readSystemIdentifier(client: Client): Promise<string | undefined> {
  try {
    const [row] = await runQuery<{ id: string }>(
      client,
      'SELECT system_identifier::text AS id FROM pg_catalog.pg_control_system()',
    );
    return row?.id;
  } catch (error) {
    if (isBarkeepError(error, 'postgresQuery')) return undefined;
    throw error;
  }
}

function quoteList(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(', ');
}

function toInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+$/.test(value)) return undefined;
  return Number.parseInt(value, 10);
}

function toBoolean(value: string | undefined): boolean | undefined {
  if (value === 'on') return true;
  if (value === 'off') return false;
  return undefined;
}

const UNIT_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

/** A pg_settings memory value in bytes: the unit may carry a multiplier (`8kB`). */
function toBytes(value: string | undefined, unit: string | null): number | undefined {
  const amount = toInteger(value);
  if (amount === undefined) return undefined;
  if (unit === null || unit === '') return amount;
  const match = /^(\d*)(B|kB|MB|GB|TB)$/.exec(unit);
  if (match === null) return undefined;
  const factor = (match[1] === '' ? 1 : Number(match[1])) * UNIT_BYTES[match[2]!]!;
  return amount * factor;
}
