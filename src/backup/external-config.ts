import { posix } from 'node:path';
import type { Client } from 'pg';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import {
  type ConfigFileSource,
  defaultFetchLimits,
  type FetchedFile,
  FetchLimitExceeded,
  type FetchLimits,
  isWithin,
} from './config-file-source.ts';
import { compareNames } from './config-file-syntax.ts';
import { readConfigLocations, readSettingSourceFiles } from './config-locations.ts';
import {
  configPrivilegeError,
  missingConfigPrivileges,
  readConfigFileAccess,
} from './config-privileges.ts';
import { sqlConfigFileSource, sqlState } from './config-sql-source.ts';
import { sshConfigFileSource } from './config-ssh-source.ts';
import {
  ConfigWalk,
  type ExternalConfigKind,
  type SweptDirectory,
} from './external-config-walk.ts';

export type { ExternalConfigKind } from './external-config-walk.ts';

/** A configuration file kept with a backup: where it was, what it is, its bytes. */
export interface ExternalConfigFile extends FetchedFile {
  readonly kind: ExternalConfigKind;
}

/** What {@link fetchExternalConfig} found. */
export interface ExternalConfig {
  /** How the bytes were read. */
  readonly transport: 'sql' | 'ssh';
  readonly dataDirectory: string;
  readonly configFile: string;
  readonly hbaFile: string;
  readonly identFile: string;
  /**
   * Barman's `included_files`: the files postgresql.conf pulls in (through include directives,
   * plus pg_settings' `sourcefile`s, which may name postgresql.auto.conf), sorted, inside PGDATA
   * or not.
   */
  readonly includedFiles: readonly string[];
  /**
   * The files outside PGDATA, with their bytes, each once, in the order the server reads them:
   * postgresql.conf and its includes, pg_hba.conf and its includes and `@file`s, pg_ident.conf
   * and its includes; then the other files of the configuration directory, by path.
   */
  readonly files: readonly ExternalConfigFile[];
  /** Configuration files found inside PGDATA: not in `files`, the base backup holds them. */
  readonly insidePgdata: readonly string[];
  /** The configuration directory kept whole (Debian's /etc/postgresql/<ver>/<cluster>), if any. */
  readonly configDirectory: string | undefined;
  /** Findings that did not stop the discovery (missing includes, skipped files), one line each. */
  readonly warnings: readonly string[];
}

/** Options of {@link fetchExternalConfig}. */
export interface FetchExternalConfigOptions {
  /** Barman's `ssh_command`: when set, the bytes are read over ssh instead of SQL. */
  readonly sshCommand?: string | undefined;
  readonly limits?: FetchLimits;
  /** Environment for ssh_command's shell; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Finds and reads the server's configuration files that live outside PGDATA, so a backup can
 * keep them (a base backup copies PGDATA only, but on Debian the configuration is in
 * /etc/postgresql/<ver>/<cluster>/). Locations come from pg_settings; postgresql.conf's includes
 * and pg_hba/pg_ident's includes and `@file` lists are followed; when config_file's directory is
 * outside PGDATA the whole directory is kept (start.conf, pg_ctl.conf, environment, conf.d/),
 * leaving out PGDATA if it lies inside. Bytes are read over the connection with the server's file
 * functions, or over `ssh_command` with a remote tar. A directory too large for the limits is not
 * kept whole (a warning) but its referenced files still are.
 *
 * @throws BarkeepError `postgresQuery` naming the GRANTs when the role lacks privileges (see
 * `config-privileges.ts`); `operationFailed` when config_file cannot be read, ssh fails or a
 * referenced file exceeds the limits.
 */
export async function fetchExternalConfig(
  client: Client,
  options: FetchExternalConfigOptions = {},
): Promise<ExternalConfig> {
  const limits = options.limits ?? defaultFetchLimits;
  const transport = options.sshCommand ? 'ssh' : 'sql';
  const access = await readConfigFileAccess(client);
  const locations = access.readAllSettings ? await readConfigLocations(client) : undefined;
  const missing = missingConfigPrivileges(access, transport, locations);
  if (missing.length > 0 || locations === undefined) {
    throw configPrivilegeError(
      access.role,
      missing.length > 0 ? missing : ['pg_read_all_settings'],
    );
  }
  const source = guarded(
    options.sshCommand
      ? sshConfigFileSource(options.sshCommand, {
          limits,
          ...(options.env ? { env: options.env } : {}),
        })
      : sqlConfigFileSource(client, limits),
    access.role,
  );
  const { dataDirectory, configFile, hbaFile, identFile } = locations;
  const warnings: string[] = [];

  const configDir = posix.dirname(configFile);
  let swept: SweptDirectory | undefined;
  if (!isWithin(configDir, dataDirectory)) {
    try {
      const tree = await source.readTree(configDir, { recursive: true, exclude: [dataDirectory] });
      if (tree !== undefined) {
        swept = { dir: configDir, exclude: [dataDirectory], files: tree.files };
        warnings.push(...tree.skipped.map((entry) => `skipped ${entry}`));
      }
    } catch (error) {
      if (!(error instanceof FetchLimitExceeded)) throw error;
      warnings.push(
        `${configDir} is not kept whole: ${error.why}; only the files the server reads are`,
      );
    }
  }

  const walk = new ConfigWalk(source, swept);
  await walk.walkServerConfig(configFile);
  if (!walk.result.found.has(configFile)) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot read the PostgreSQL configuration file',
      subject: configFile,
      why: `config_file is not a regular file on the PostgreSQL host (read over ${transport})`,
      hint: transport === 'ssh' ? 'Check that ssh_command reaches the PostgreSQL host.' : undefined,
    });
  }
  await walk.walkAuthFile(hbaFile, 'hba_file');
  await walk.walkAuthFile(identFile, 'ident_file');
  for (const file of [...(swept?.files ?? [])].sort((a, b) => compareNames(a.path, b.path))) {
    walk.addDirectoryFile(file);
  }
  warnings.push(...walk.result.warnings);

  const fromSettings = await readSettingSourceFiles(client, configFile);
  const includedFiles = [...new Set([...walk.result.included, ...fromSettings])].sort(compareNames);
  const files: ExternalConfigFile[] = [];
  const insidePgdata: string[] = [];
  for (const { file, kind } of walk.result.found.values()) {
    if (isWithin(file.path, dataDirectory)) insidePgdata.push(file.path);
    else files.push({ ...file, kind });
  }
  return {
    transport,
    dataDirectory,
    configFile,
    hbaFile,
    identFile,
    includedFiles,
    files,
    insidePgdata,
    configDirectory: swept?.dir,
    warnings,
  };
}

/**
 * Turns the server's "absolute path not allowed" / "permission denied for function" (SQLSTATE
 * 42501, not a file the server could not open) into the error naming the privilege: it happens
 * when an include points outside PGDATA and the role lacks pg_read_server_files.
 */
function guarded(source: ConfigFileSource, role: string): ConfigFileSource {
  const translate = (error: unknown): never => {
    if (isBarkeepError(error, 'postgresQuery') && sqlState(error) === '42501') {
      const message = String((error.cause as { message?: unknown } | undefined)?.message ?? '');
      if (!/^could not/.test(message)) {
        throw configPrivilegeError(role, ['pg_read_server_files'], error);
      }
    }
    throw error;
  };
  return {
    transport: source.transport,
    readFile: (path) => source.readFile(path).catch(translate),
    readTree: (dir, options) => source.readTree(dir, options).catch(translate),
  };
}
