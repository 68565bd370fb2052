/** The include directives of postgresql.conf (and, from PostgreSQL 16, of pg_hba/pg_ident). */
export type IncludeDirective = 'include' | 'include_if_exists' | 'include_dir';

/** One include directive found in a configuration file. */
export interface IncludeReference {
  readonly directive: IncludeDirective;
  /** The file or directory name as written (de-escaped), relative or absolute. */
  readonly target: string;
  /** 1-based line number, for messages. */
  readonly line: number;
}

const directives: ReadonlySet<string> = new Set(['include', 'include_if_exists', 'include_dir']);

/** guc-file.l: LETTER is `[A-Za-z_\200-\377]`, LETTER_OR_DIGIT adds digits. */
const namePart = '[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_\\u0080-\\uffff]*';
const namePattern = new RegExp(`^${namePart}(\\.${namePart})?`);

/**
 * Finds the include directives of a postgresql.conf as PostgreSQL's lexer (guc-file.l) reads
 * them: `name [=] value` per line, `#` comments, names compared case-insensitively, values
 * single-quoted (with `''` and backslash escapes) or bare. Lines that are not valid settings are
 * skipped: a running server has already accepted the file, and discovery must not fail where
 * PostgreSQL did not. An empty target is skipped too (PostgreSQL rejects it).
 */
export function parseConfigIncludes(text: string): IncludeReference[] {
  const found: IncludeReference[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const setting = parseSettingLine(lines[index]!);
    if (setting === undefined) continue;
    const name = setting.name.toLowerCase();
    if (directives.has(name) && setting.value !== '') {
      found.push({ directive: name as IncludeDirective, target: setting.value, line: index + 1 });
    }
  }
  return found;
}

/** A `name = value` line, or undefined for blank, comment and malformed lines. */
function parseSettingLine(raw: string): { name: string; value: string } | undefined {
  let rest = raw.replace(/\r$/, '').replace(/^[ \t\f\v]+/, '');
  if (rest === '' || rest.startsWith('#')) return undefined;
  const name = namePattern.exec(rest)?.[0];
  if (name === undefined) return undefined;
  rest = rest.slice(name.length).replace(/^[ \t\f\v]*/, '');
  if (rest.startsWith('=')) rest = rest.slice(1).replace(/^[ \t\f\v]*/, '');
  let value: string;
  if (rest.startsWith("'")) {
    const quoted = readQuoted(rest);
    if (quoted === undefined) return undefined;
    value = quoted.value;
    rest = rest.slice(quoted.length);
  } else {
    const bare = /^[^\s#'=]+/.exec(rest)?.[0];
    if (bare === undefined) return undefined;
    value = bare;
    rest = rest.slice(bare.length);
  }
  return /^\s*(#.*)?$/.test(rest) ? { name, value } : undefined;
}

/**
 * A single-quoted value at the start of `text`: `''` is a quote; `\b \f \n \r \t`, up to three
 * octal digits, and a backslash before any other character as DeescapeQuotedString has them.
 */
function readQuoted(text: string): { value: string; length: number } | undefined {
  let value = '';
  let index = 1;
  while (index < text.length) {
    const char = text[index]!;
    if (char === "'") {
      if (text[index + 1] === "'") {
        value += "'";
        index += 2;
        continue;
      }
      return { value, length: index + 1 };
    }
    if (char === '\\' && index + 1 < text.length) {
      const next = text[index + 1]!;
      const octal = /^[0-7]{1,3}/.exec(text.slice(index + 1))?.[0];
      if (octal !== undefined) {
        value += String.fromCharCode(Number.parseInt(octal, 8));
        index += 1 + octal.length;
        continue;
      }
      value += escapes[next] ?? next;
      index += 2;
      continue;
    }
    value += char;
    index += 1;
  }
  return undefined;
}

const escapes: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Whether PostgreSQL's include_dir takes a directory entry (GetConfFilesInDir): a name ending in
 * `.conf` that does not start with a dot. Directories are skipped by the caller; the taken
 * files are read in byte order of their names ({@link compareNames}).
 */
export function isIncludedConfName(name: string): boolean {
  return name.endsWith('.conf') && !name.startsWith('.');
}

/** strcmp order, as PostgreSQL sorts include_dir entries (not the locale's). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
