import type { IncludeDirective } from './config-file-syntax.ts';

/** A file pg_hba.conf or pg_ident.conf makes PostgreSQL read. */
export interface AuthFileReference {
  /** An include directive (PostgreSQL 16+), or an `@file` list in a database or user field. */
  readonly directive: IncludeDirective | 'at-file';
  /** As written; relative names are relative to the referencing file's directory. */
  readonly target: string;
  /** 1-based line number (of the first line of a continued line), for messages. */
  readonly line: number;
}

interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

const directives: ReadonlySet<string> = new Set(['include', 'include_if_exists', 'include_dir']);

/**
 * Finds the other files an authentication file pulls in, as PostgreSQL's hba.c tokenizes it:
 * fields separated by blanks, lists by commas, `"double quotes"` protecting blanks, commas and
 * keywords, `#` comments, a backslash at the end of a line continuing it. A line whose first
 * field is an unquoted `include`, `include_if_exists` or `include_dir` names a file or directory
 * (pg_hba.conf and pg_ident.conf, PostgreSQL 16+). With `atFiles` (pg_hba.conf and the files it
 * references), an unquoted token starting with `@` names a file holding a list of names.
 */
export function parseAuthFileReferences(text: string, atFiles: boolean): AuthFileReference[] {
  const found: AuthFileReference[] = [];
  for (const { fields, line } of logicalLines(text)) {
    const first = fields[0]?.[0];
    const target = fields[1]?.[0];
    if (
      first !== undefined &&
      !first.quoted &&
      directives.has(first.text) &&
      target !== undefined &&
      target.text !== ''
    ) {
      found.push({ directive: first.text as IncludeDirective, target: target.text, line });
      continue;
    }
    if (!atFiles) continue;
    for (const token of fields.flat()) {
      if (!token.quoted && token.text.startsWith('@') && token.text.length > 1) {
        found.push({ directive: 'at-file', target: token.text.slice(1), line });
      }
    }
  }
  return found;
}

/** The fields (each a comma-separated token list) of every non-empty logical line. */
function logicalLines(text: string): { fields: Token[][]; line: number }[] {
  const result: { fields: Token[][]; line: number }[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const start = index;
    let joined = lines[index]!.replace(/\r$/, '');
    while (joined.endsWith('\\') && index + 1 < lines.length) {
      index += 1;
      joined = joined.slice(0, -1) + lines[index]!.replace(/\r$/, '');
    }
    const fields = tokenize(joined);
    if (fields.length > 0) result.push({ fields, line: start + 1 });
  }
  return result;
}

function tokenize(line: string): Token[][] {
  const fields: Token[][] = [];
  let field: Token[] = [];
  let text = '';
  let quoted = false;
  let inQuote = false;
  let pending = false;
  const endToken = (): void => {
    if (pending) field.push({ text, quoted });
    text = '';
    quoted = false;
    pending = false;
  };
  const endField = (): void => {
    endToken();
    if (field.length > 0) fields.push(field);
    field = [];
  };
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index]!;
    if (inQuote) {
      if (char === '"' && line[index + 1] === '"') {
        text += '"';
        index += 1;
      } else if (char === '"') inQuote = false;
      else text += char;
      continue;
    }
    if (char === '#') break;
    if (char === '"') {
      inQuote = true;
      quoted = true;
      pending = true;
    } else if (char === ',') {
      endToken();
    } else if (/\s/.test(char)) {
      // A blank ends the field unless a comma continues the list: `a, b` is one field.
      const rest = line.slice(index).trimStart();
      if (!rest.startsWith(',') && !line.slice(0, index).trimEnd().endsWith(',')) endField();
    } else {
      text += char;
      pending = true;
    }
  }
  endField();
  return fields;
}
