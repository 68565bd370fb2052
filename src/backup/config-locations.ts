import { posix } from 'node:path';
import type { Client } from 'pg';
import { runQuery } from '../postgres/run-query.ts';

/** Where the server keeps its data and its configuration (absolute, normalised paths). */
export interface ConfigLocations {
  readonly dataDirectory: string;
  readonly configFile: string;
  readonly hbaFile: string;
  readonly identFile: string;
}

const names = ['data_directory', 'config_file', 'hba_file', 'ident_file'] as const;

/**
 * Reads `data_directory`, `config_file`, `hba_file` and `ident_file` from pg_settings. They are
 * visible only to superusers and members of pg_read_all_settings; for other roles pg_settings
 * hides them and the result is undefined, so the caller can name the missing privilege.
 */
export async function readConfigLocations(client: Client): Promise<ConfigLocations | undefined> {
  const rows = await runQuery<{ name: string; setting: string | null }>(
    client,
    `SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN (${names
      .map((name) => `'${name}'`)
      .join(', ')})`,
  );
  const value = (name: (typeof names)[number]): string | undefined => {
    const setting = rows.find((row) => row.name === name)?.setting;
    return setting === null || setting === undefined || setting === ''
      ? undefined
      : normalizePath(setting);
  };
  const [dataDirectory, configFile, hbaFile, identFile] = names.map(value);
  if (
    dataDirectory === undefined ||
    configFile === undefined ||
    hbaFile === undefined ||
    identFile === undefined
  ) {
    return undefined;
  }
  return { dataDirectory, configFile, hbaFile, identFile };
}

/**
 * The files pg_settings says settings in effect come from (`sourcefile`), other than
 * config_file: Barman's source for `included_files`. Empty when the role may not see them
 * (neither superuser nor pg_read_all_settings).
 */
export async function readSettingSourceFiles(
  client: Client,
  configFile: string,
): Promise<string[]> {
  const rows = await runQuery<{ sourcefile: string }>(
    client,
    `SELECT DISTINCT sourcefile FROM pg_catalog.pg_settings
      WHERE sourcefile IS NOT NULL AND sourcefile <> ''`,
  );
  return rows.map((row) => normalizePath(row.sourcefile)).filter((path) => path !== configFile);
}

/** An absolute path without `.`/`..` components, doubled or trailing slashes. */
export function normalizePath(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}
