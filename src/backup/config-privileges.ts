import type { Client } from 'pg';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { runQuery } from '../postgres/run-query.ts';
import { isWithin } from './config-file-source.ts';
import { type ConfigLocations, readConfigLocations } from './config-locations.ts';

/**
 * The server-side file functions barkeep calls to read configuration files over SQL, with the
 * exact signatures a GRANT EXECUTE needs. All three are superuser-only by default on PostgreSQL
 * 14-18 (membership in pg_read_server_files does not grant EXECUTE on them).
 */
export const configFileFunctions = [
  'pg_catalog.pg_ls_dir(text, boolean, boolean)',
  'pg_catalog.pg_stat_file(text, boolean)',
  'pg_catalog.pg_read_binary_file(text)',
] as const;

/** What the connected role may do towards reading the configuration files. */
export interface ConfigFileAccess {
  readonly role: string;
  readonly superuser: boolean;
  /** Superuser or pg_read_all_settings: may see config_file, hba_file, ident_file, PGDATA. */
  readonly readAllSettings: boolean;
  /** Superuser or pg_read_server_files: the file functions accept paths outside PGDATA. */
  readonly readServerFiles: boolean;
  /** EXECUTE on each of {@link configFileFunctions}. */
  readonly execute: Readonly<Record<(typeof configFileFunctions)[number], boolean>>;
}

/** Reads {@link ConfigFileAccess} for the current role; needs no privilege itself. */
export async function readConfigFileAccess(client: Client): Promise<ConfigFileAccess> {
  const [row] = await runQuery<{
    role: string;
    superuser: boolean;
    settings: boolean;
    files: boolean;
    execute: boolean[];
  }>(
    client,
    `SELECT current_user AS role, r.rolsuper AS superuser,
            pg_catalog.pg_has_role(current_user, 'pg_read_all_settings', 'USAGE') AS settings,
            pg_catalog.pg_has_role(current_user, 'pg_read_server_files', 'USAGE') AS files,
            ARRAY(SELECT pg_catalog.has_function_privilege(f, 'EXECUTE')
                    FROM unnest($1::text[]) WITH ORDINALITY AS u(f, n) ORDER BY n) AS execute
       FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`,
    [configFileFunctions],
  );
  if (row === undefined) {
    throw new BarkeepError('internal', {
      what: 'cannot read role privileges',
      subject: 'pg_roles',
      why: 'the current role is not listed in pg_roles',
    });
  }
  return {
    role: row.role,
    superuser: row.superuser,
    readAllSettings: row.superuser || row.settings,
    readServerFiles: row.superuser || row.files,
    execute: Object.fromEntries(
      configFileFunctions.map((name, index) => [
        name,
        row.superuser || row.execute[index] === true,
      ]),
    ) as ConfigFileAccess['execute'],
  };
}

/**
 * The privileges missing to keep the configuration files, each named as GRANT wants it
 * (`pg_read_all_settings`, `pg_read_server_files`, `EXECUTE ON FUNCTION pg_catalog....`).
 * Over ssh only the settings matter; over SQL the three functions too, and pg_read_server_files
 * when a known configuration file is outside the data directory (or the locations are hidden).
 */
export function missingConfigPrivileges(
  access: ConfigFileAccess,
  transport: 'sql' | 'ssh',
  locations: ConfigLocations | undefined,
): string[] {
  if (access.superuser) return [];
  const missing: string[] = [];
  if (!access.readAllSettings) missing.push('pg_read_all_settings');
  if (transport === 'ssh') return missing;
  const outside =
    locations === undefined ||
    [locations.configFile, locations.hbaFile, locations.identFile].some(
      (path) => !isWithin(path, locations.dataDirectory),
    );
  if (outside && !access.readServerFiles) missing.push('pg_read_server_files');
  for (const name of configFileFunctions) {
    if (!access.execute[name]) missing.push(`EXECUTE ON FUNCTION ${name}`);
  }
  return missing;
}

/** The outcome of {@link checkConfigFileAccess}, ready for a `check` line. */
export interface ConfigAccessCheck {
  readonly ok: boolean;
  /** As {@link missingConfigPrivileges} names them. */
  readonly missing: readonly string[];
  /** The GRANT statements that fix it (empty when ok). */
  readonly hint: string;
}

/**
 * For `barkeep check`: whether the role barkeep connects as may discover and read the
 * configuration files outside PGDATA — over SQL, or only their locations when `ssh_command`
 * will fetch them — and what to GRANT when not.
 */
export async function checkConfigFileAccess(
  client: Client,
  options: { readonly sshCommand?: string | undefined } = {},
): Promise<ConfigAccessCheck> {
  const access = await readConfigFileAccess(client);
  const locations = access.readAllSettings ? await readConfigLocations(client) : undefined;
  const transport = options.sshCommand ? 'ssh' : 'sql';
  const missing = missingConfigPrivileges(access, transport, locations);
  return { ok: missing.length === 0, missing, hint: grantHint(access.role, missing) };
}

/**
 * The error a backup raises when the role lacks what {@link missingConfigPrivileges} lists:
 * `postgresQuery`, naming each privilege and the GRANT statements.
 */
export function configPrivilegeError(
  role: string,
  missing: readonly string[],
  cause?: unknown,
): BarkeepError {
  return new BarkeepError('postgresQuery', {
    what: 'cannot read the PostgreSQL configuration files',
    subject: role,
    why: `the role needs ${missing.join(', ')} (or superuser)`,
    hint: `${grantHint(role, missing)} Or set ssh_command to fetch them over ssh.`,
    cause,
  });
}

/**
 * The GRANT statements giving `role` what is missing, e.g.
 * `GRANT pg_read_all_settings TO "x"; GRANT EXECUTE ON FUNCTION ... TO "x";`.
 */
export function grantHint(role: string, missing: readonly string[]): string {
  const quoted = `"${role.replace(/"/g, '""')}"`;
  const roles = missing.filter((name) => !name.startsWith('EXECUTE'));
  const functions = missing
    .filter((name) => name.startsWith('EXECUTE ON FUNCTION '))
    .map((name) => name.slice('EXECUTE ON FUNCTION '.length));
  const statements: string[] = [];
  if (roles.length > 0) statements.push(`GRANT ${roles.join(', ')} TO ${quoted};`);
  if (functions.length > 0) {
    statements.push(`GRANT EXECUTE ON FUNCTION ${functions.join(', ')} TO ${quoted};`);
  }
  return statements.join(' ');
}
