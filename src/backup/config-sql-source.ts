import { posix } from 'node:path';
import type { Client } from 'pg';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import { runQuery } from '../postgres/run-query.ts';
import {
  type ConfigFileSource,
  defaultFetchLimits,
  type FetchedFile,
  FetchLimitExceeded,
  type FetchLimits,
  isWithin,
  type TreeOptions,
} from './config-file-source.ts';

type StatRow = {
  size: string | null;
  isdir: boolean | null;
};

type EntryRow = StatRow & { name: string };

/**
 * Reads configuration files over the database connection with the server-side file functions
 * `pg_stat_file(text, boolean)`, `pg_ls_dir(text, boolean, boolean)` and
 * `pg_read_binary_file(text)` (see `config-privileges.ts` for what the role needs). Files are
 * read one query each and held whole, within `limits`; modes are not available this way (null).
 * Errors of the queries propagate as runQuery reports them (`postgresQuery`), except files that
 * vanish or cannot be opened during a directory walk, which are listed as skipped.
 */
export function sqlConfigFileSource(
  client: Client,
  limits: FetchLimits = defaultFetchLimits,
): ConfigFileSource {
  const stat = async (path: string): Promise<StatRow | undefined> => {
    const [row] = await runQuery<StatRow>(
      client,
      'SELECT s.size::text AS size, s.isdir FROM pg_catalog.pg_stat_file($1, true) AS s',
      [path],
    );
    return row === undefined || row.isdir === null ? undefined : row;
  };

  const read = async (path: string, size: number): Promise<FetchedFile> => {
    if (size > limits.maxFileBytes) {
      throw new FetchLimitExceeded(path, `it has ${size} bytes, more than ${limits.maxFileBytes}`);
    }
    const [row] = await runQuery<{ content: Buffer }>(
      client,
      'SELECT pg_catalog.pg_read_binary_file($1) AS content',
      [path],
    );
    const content = row?.content ?? Buffer.alloc(0);
    return { path, size: content.length, mode: null, content };
  };

  const readFile = async (path: string): Promise<FetchedFile | undefined> => {
    const found = await stat(path);
    if (found === undefined || found.isdir) return undefined;
    try {
      return await read(path, Number(found.size));
    } catch (error) {
      if (vanished(error)) return undefined;
      throw error;
    }
  };

  const readTree = async (
    dir: string,
    options: TreeOptions,
  ): Promise<{ files: FetchedFile[]; skipped: string[] } | undefined> => {
    const top = await stat(dir);
    if (top === undefined || !top.isdir) return undefined;
    const files: FetchedFile[] = [];
    const skipped: string[] = [];
    let bytes = 0;
    const walk = async (current: string, depth: number): Promise<void> => {
      const entries = await runQuery<EntryRow>(
        client,
        `SELECT name, s.size::text AS size, s.isdir
           FROM pg_catalog.pg_ls_dir($1, true, false) AS name,
                LATERAL pg_catalog.pg_stat_file($2 || name, true) AS s`,
        [current, current === '/' ? '/' : `${current}/`],
      );
      for (const entry of entries) {
        const path = posix.join(current, entry.name);
        if (options.exclude.some((excluded) => isWithin(path, excluded))) continue;
        if (entry.isdir === null) {
          skipped.push(`${path} (vanished or a dangling link)`);
        } else if (entry.isdir) {
          if (!options.recursive) continue;
          if (depth >= limits.maxDepth) {
            throw new FetchLimitExceeded(dir, `it is nested deeper than ${limits.maxDepth} levels`);
          }
          await walk(path, depth + 1);
        } else if (options.accept === undefined || options.accept(entry.name)) {
          const size = Number(entry.size);
          if (files.length + 1 > limits.maxTreeFiles || bytes + size > limits.maxTreeBytes) {
            throw new FetchLimitExceeded(
              dir,
              `it holds more than ${limits.maxTreeFiles} files or ${limits.maxTreeBytes} bytes`,
            );
          }
          try {
            const file = await read(path, size);
            files.push(file);
            bytes += file.size;
          } catch (error) {
            if (!unreadable(error)) throw error;
            skipped.push(`${path} (${isBarkeepError(error) ? error.why : String(error)})`);
          }
        }
      }
    };
    await walk(dir, 0);
    return { files, skipped };
  };

  return { transport: 'sql', readFile, readTree };
}

/** The file went away between pg_stat_file and pg_read_binary_file. */
function vanished(error: unknown): boolean {
  return isBarkeepError(error, 'postgresQuery') && sqlState(error) === '58P01';
}

/**
 * The server could not open or read one file (gone, a socket, not readable by its OS account):
 * PostgreSQL says `could not open file ...` (SQLSTATE 58P01, 42501 or 58030). Missing EXECUTE or
 * pg_read_server_files read differently and are not skipped.
 */
function unreadable(error: unknown): boolean {
  if (!isBarkeepError(error, 'postgresQuery')) return false;
  const message = (error.cause as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && /^could not (open|read|stat)/.test(message);
}

/** The SQLSTATE of a query error, from the pg error kept as its cause. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}
