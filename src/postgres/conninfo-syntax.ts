import { secretKeywords } from './conninfo-keywords.ts';
import { type ConninfoEntry, ConninfoSyntaxError } from './conninfo-syntax-error.ts';
import { parseConninfoUri } from './conninfo-uri.ts';

/** The settings of a connection string in the order written, and which of libpq's forms it uses. */
export interface ConninfoEntries {
  readonly form: 'keyword' | 'uri';
  /** Later entries win over earlier ones with the same keyword, as in libpq. */
  readonly entries: readonly ConninfoEntry[];
}

const URI_PREFIXES = ['postgresql://', 'postgres://'] as const;

/**
 * Splits a libpq connection string into its settings, in either of libpq's forms: `key=value`
 * pairs (values optionally single-quoted, `\'` and `\\` escapes, blanks around `=` allowed) or a
 * `postgresql://` / `postgres://` URI. Keywords are not checked here; the spans let the redactor
 * mask secrets without re-rendering the operator's text.
 */
export function parseConninfoEntries(text: string): ConninfoEntries {
  const prefix = URI_PREFIXES.find((candidate) => text.startsWith(candidate));
  if (prefix !== undefined) {
    return { form: 'uri', entries: parseConninfoUri(text, prefix.length) };
  }
  return { form: 'keyword', entries: parseKeywordForm(text) };
}

/** C's isspace(): libpq splits keyword/value pairs on these characters. */
function isSpace(char: string | undefined): boolean {
  return (
    char === ' ' ||
    char === '\t' ||
    char === '\n' ||
    char === '\r' ||
    char === '\v' ||
    char === '\f'
  );
}

function parseKeywordForm(text: string): ConninfoEntry[] {
  const entries: ConninfoEntry[] = [];
  let pos = 0;
  const skipSpaces = (): void => {
    while (pos < text.length && isSpace(text[pos])) pos++;
  };
  for (;;) {
    skipSpaces();
    if (pos >= text.length) break;
    const keywordStart = pos;
    while (pos < text.length && text[pos] !== '=' && !isSpace(text[pos])) pos++;
    const keyword = text.slice(keywordStart, pos);
    skipSpaces();
    if (text[pos] !== '=') throw missingEquals(keyword, entries.at(-1));
    pos++;
    skipSpaces();
    const valueStart = pos;
    let value = '';
    if (text[pos] === "'") {
      pos++;
      for (;;) {
        if (pos >= text.length) {
          throw new ConninfoSyntaxError(`unterminated quoted string in the value of "${keyword}"`);
        }
        const char = text[pos]!;
        if (char === '\\') {
          pos++;
          if (pos < text.length) value += text[pos++];
          continue;
        }
        pos++;
        if (char === "'") break;
        value += char;
      }
    } else {
      while (pos < text.length && !isSpace(text[pos])) {
        if (text[pos] === '\\') {
          pos++;
          if (pos < text.length) value += text[pos++];
        } else {
          value += text[pos++];
        }
      }
    }
    entries.push({ keyword, value, span: [valueStart, pos] });
  }
  return entries;
}

function missingEquals(token: string, previous: ConninfoEntry | undefined): ConninfoSyntaxError {
  if (previous !== undefined && secretKeywords.has(previous.keyword)) {
    return new ConninfoSyntaxError(
      `missing "=" after the value of "${previous.keyword}" (quote values that contain spaces)`,
    );
  }
  return new ConninfoSyntaxError(`missing "=" after "${token}" in connection info string`);
}
