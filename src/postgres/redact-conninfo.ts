import { secretKeywords } from './conninfo-keywords.ts';
import { parseConninfoEntries } from './conninfo-syntax.ts';
import { ConninfoSyntaxError } from './conninfo-syntax-error.ts';

/** What a secret is replaced with. */
export const REDACTED = '********';

/** Keywords treated as secrets even when misspelt: `passwd`, `PASSWORD`, `client_secret`... */
const SECRET_LIKE = /pass|pwd|secret/i;

/**
 * Renders a connection string for display (show-servers, logs, error messages) with every secret
 * value (`password`, `sslpassword`, a URI's `user:password@`...) replaced by `********`. The rest of
 * the text is kept exactly as the operator wrote it. A string that does not even parse is masked
 * by pattern, erring on the side of hiding too much.
 */
export function redactConninfo(text: string): string {
  let entries: ReturnType<typeof parseConninfoEntries>['entries'];
  try {
    entries = parseConninfoEntries(text).entries;
  } catch (error) {
    if (error instanceof ConninfoSyntaxError) return redactByPattern(text);
    throw error;
  }
  const spans = entries
    .filter(({ keyword }) => isSecretKeyword(keyword))
    .map(({ span }) => span)
    .sort((a, b) => b[0] - a[0]);
  let result = text;
  for (const [start, end] of spans) {
    result = result.slice(0, start) + REDACTED + result.slice(end);
  }
  return result;
}

function isSecretKeyword(keyword: string): boolean {
  return secretKeywords.has(keyword.toLowerCase()) || SECRET_LIKE.test(keyword);
}

const SECRET_NAMES = `(?:${[...secretKeywords].join('|')}|[\\w-]*(?:pass|pwd|secret)[\\w-]*)`;

function redactByPattern(text: string): string {
  if (/^postgres(?:ql)?:\/\//.test(text)) {
    return text
      .replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@?]*(?=@)/, `$1${REDACTED}`)
      .replace(new RegExp(`([?&]${SECRET_NAMES}=)[^&]*`, 'gi'), `$1${REDACTED}`);
  }
  // Up to the next `keyword=` or the end: an unparsable value may hold blanks.
  const pattern = new RegExp(
    `(^|\\s)(${SECRET_NAMES}\\s*=\\s*)(.*?)(?=\\s+[A-Za-z_]+\\s*=|$)`,
    'gis',
  );
  return text.replace(pattern, `$1$2${REDACTED}`);
}
