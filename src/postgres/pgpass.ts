import { readFile, stat } from 'node:fs/promises';
import { errnoCode } from '../errors/system-error.ts';

/** The connection a password is looked up for. */
export interface PgpassTarget {
  /** Host name, IP address or Unix-socket directory, as the connection uses it. */
  readonly host: string;
  readonly port: number;
  /** The database; `replication` for a physical replication connection (as pg_basebackup). */
  readonly dbname: string;
  readonly user: string;
}

/** What a password-file lookup found. */
export interface PgpassLookup {
  /** The password of the first matching line, if any. */
  readonly password?: string;
  /** Why the file was ignored (libpq prints this; barkeep returns it for the caller to log). */
  readonly warning?: string;
}

/** Options of {@link lookupPgpass}. */
export interface PgpassOptions {
  /**
   * libpq's default socket directory: a Unix-socket connection to exactly this directory matches
   * `localhost` lines, as libpq does; other socket directories match their own path.
   */
  readonly defaultSocketDir?: string;
}

/**
 * Looks up a password in a libpq password file (`~/.pgpass` or PGPASSFILE) the way libpq does:
 * first matching `hostname:port:database:username:password` line wins, `*` matches anything,
 * `\:` and `\\` escape, `#` starts a comment line. A missing file finds nothing; a file that is
 * not a plain file or is readable by group or others is ignored with a warning, as libpq does.
 */
export async function lookupPgpass(
  passfile: string,
  target: PgpassTarget,
  options: PgpassOptions = {},
): Promise<PgpassLookup> {
  let content: string;
  try {
    const info = await stat(passfile);
    if (!info.isFile()) return { warning: `password file "${passfile}" is not a plain file` };
    if ((info.mode & 0o077) !== 0) {
      return {
        warning: `password file "${passfile}" has group or world access; permissions should be u=rw (0600) or less`,
      };
    }
    content = await readFile(passfile, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return {};
    return { warning: `cannot read password file "${passfile}": ${code ?? String(error)}` };
  }
  const password = findPgpassPassword(content, target, options);
  return password === undefined ? {} : { password };
}

/**
 * The password for `target` in the text of a password file, or undefined. Pure: the matching
 * rules of {@link lookupPgpass} without the file system.
 */
export function findPgpassPassword(
  content: string,
  target: PgpassTarget,
  options: PgpassOptions = {},
): string | undefined {
  const host =
    target.host === '' || (target.host.startsWith('/') && target.host === options.defaultSocketDir)
      ? 'localhost'
      : target.host;
  const wanted = [host, String(target.port), target.dbname, target.user];
  for (const rawLine of content.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '' || line.startsWith('#')) continue;
    const password = matchLine(line, wanted);
    if (password !== undefined) return password;
  }
  return undefined;
}

/** libpq's pwdfMatchesString over the four key fields, then the de-escaped password. */
function matchLine(line: string, wanted: readonly string[]): string | undefined {
  let pos = 0;
  for (const token of wanted) {
    const next = matchField(line, pos, token);
    if (next === undefined) return undefined;
    pos = next;
  }
  let password = '';
  while (pos < line.length && line[pos] !== ':') {
    if (line[pos] === '\\' && pos + 1 < line.length) pos++;
    password += line[pos++];
  }
  return password;
}

/** Where the next field starts when the field at `start` matches `token`, else undefined. */
function matchField(line: string, start: number, token: string): number | undefined {
  if (line[start] === '*' && line[start + 1] === ':') return start + 2;
  let pos = start;
  let matched = 0;
  while (pos < line.length) {
    let char = line[pos]!;
    let escaped = false;
    if (char === '\\') {
      pos++;
      if (pos >= line.length) return undefined;
      char = line[pos]!;
      escaped = true;
    }
    if (char === ':' && !escaped) return matched === token.length ? pos + 1 : undefined;
    if (matched >= token.length || char !== token[matched]) return undefined;
    matched++;
    pos++;
  }
  return undefined;
}
