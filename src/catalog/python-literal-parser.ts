import { PyLiteralError, type PyValue, pyDict, pyTuple } from './python-literal.ts';

/**
 * Reads one Python literal the way `ast.literal_eval` does, for the forms Barman's backup.info
 * holds: str (with `u`/`r` prefixes, all quote styles, escapes, adjacent literals joined), int
 * (decimal, 0x, 0o, 0b, with `_`), float, a leading `+`/`-` on a number, `None`, `True`,
 * `False`, list, tuple and dict. Anything else (bytes, sets, names, calls, comments) is a
 * {@link PyLiteralError} giving the offset where reading stopped.
 */
export function parsePyLiteral(text: string): PyValue {
  // Sticky patterns carry their position (lastIndex): each parse gets its own.
  const reader: Reader = {
    text,
    at: 0,
    number:
      /[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?)/y,
    name: /[A-Za-z_][A-Za-z0-9_]*/y,
    stringPrefix: /(?:[rR][uU]?|[uU][rR]?)?(?=['"])/y,
  };
  const value = readValue(reader);
  skipSpace(reader);
  if (reader.at < text.length) fail(reader, 'unexpected text after the value');
  return value;
}

interface Reader {
  readonly text: string;
  at: number;
  readonly number: RegExp;
  readonly name: RegExp;
  readonly stringPrefix: RegExp;
}

/** Whether a string literal (with or without prefix) starts at the reader's position. */
function atString(reader: Reader): string | undefined {
  reader.stringPrefix.lastIndex = reader.at;
  return reader.stringPrefix.exec(reader.text)?.[0];
}

function readValue(reader: Reader): PyValue {
  skipSpace(reader);
  const char = reader.text[reader.at];
  if (char === undefined) fail(reader, 'a value is missing');
  if (char === '[') return readSequence(reader, ']');
  if (char === '(') return readSequence(reader, ')');
  if (char === '{') return readDict(reader);
  if (char === "'" || char === '"') return readStrings(reader);
  if (char === '+' || char === '-' || char === '.' || (char >= '0' && char <= '9')) {
    return readNumber(reader);
  }
  if (atString(reader) !== undefined) return readStrings(reader);
  reader.name.lastIndex = reader.at;
  const name = reader.name.exec(reader.text)?.[0];
  if (name === 'None' || name === 'True' || name === 'False') {
    reader.at += name.length;
    return name === 'None' ? null : name === 'True';
  }
  return fail(reader, name ? `'${name}' is not a literal` : `unexpected '${char}'`);
}

function readSequence(reader: Reader, close: ']' | ')'): PyValue {
  reader.at++;
  const items: PyValue[] = [];
  let trailingComma = false;
  for (;;) {
    skipSpace(reader);
    if (reader.text[reader.at] === close) break;
    items.push(readValue(reader));
    trailingComma = readSeparator(reader, close);
  }
  reader.at++;
  if (close === ']') return items;
  // `(x)` is just x in parentheses; only a comma makes a one-element tuple.
  if (items.length === 1 && !trailingComma) return items[0]!;
  return pyTuple(...items);
}

function readDict(reader: Reader): PyValue {
  reader.at++;
  const entries: [PyValue, PyValue][] = [];
  for (;;) {
    skipSpace(reader);
    if (reader.text[reader.at] === '}') break;
    const key = readValue(reader);
    skipSpace(reader);
    if (reader.text[reader.at] !== ':') fail(reader, "':' expected after a dict key");
    reader.at++;
    entries.push([key, readValue(reader)]);
    readSeparator(reader, '}');
  }
  reader.at++;
  return pyDict(entries);
}

/** After an item: a comma (returns true) or the closing bracket, left for the caller. */
function readSeparator(reader: Reader, close: string): boolean {
  skipSpace(reader);
  const char = reader.text[reader.at];
  if (char === ',') {
    reader.at++;
    return true;
  }
  if (char !== close) fail(reader, `',' or '${close}' expected`);
  return false;
}

function readNumber(reader: Reader): PyValue {
  reader.number.lastIndex = reader.at;
  const match = reader.number.exec(reader.text)?.[0] ?? '';
  const unsigned = match.replace(/^[+-]/, '');
  if (!/\d/.test(unsigned) || /^[+-]?[.]?$/.test(match)) fail(reader, 'a number is malformed');
  const negative = match.startsWith('-');
  const clean = unsigned.replaceAll('_', '');
  reader.at += match.length;
  if (/^0[xXoObB]/.test(clean)) {
    const value = BigInt(clean.toLowerCase());
    return negative ? -value : value;
  }
  if (/^\d+$/.test(clean)) {
    if (/^0+[1-9]/.test(clean)) fail(reader, 'leading zeros are not allowed in an int');
    const value = BigInt(clean);
    return negative ? -value : value;
  }
  const value = Number(clean);
  if (Number.isNaN(value)) fail(reader, 'a number is malformed');
  return negative ? -value : value;
}

/** One string literal, or several written side by side, which Python joins. */
function readStrings(reader: Reader): string {
  let text = readString(reader);
  for (;;) {
    const save = reader.at;
    skipSpace(reader);
    if (atString(reader) === undefined) {
      reader.at = save;
      return text;
    }
    text += readString(reader);
  }
}

function readString(reader: Reader): string {
  const prefix = atString(reader) ?? '';
  const raw = /r/i.test(prefix);
  reader.at += prefix.length;
  const quoteChar = reader.text[reader.at]!;
  const triple = reader.text.startsWith(quoteChar.repeat(3), reader.at);
  const quote = triple ? quoteChar.repeat(3) : quoteChar;
  reader.at += quote.length;
  let out = '';
  for (;;) {
    const char = reader.text[reader.at];
    if (char === undefined) fail(reader, 'a string is not closed');
    if (reader.text.startsWith(quote, reader.at)) {
      reader.at += quote.length;
      return out;
    }
    if ((char === '\n' || char === '\r') && !triple) fail(reader, 'a string is not closed');
    if (char === '\\') {
      out += raw ? readRawEscape(reader) : readEscape(reader);
    } else {
      const codePoint = reader.text.codePointAt(reader.at)!;
      out += String.fromCodePoint(codePoint);
      reader.at += codePoint > 0xffff ? 2 : 1;
    }
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function readEscape(reader: Reader): string {
  const char = reader.text[reader.at + 1];
  if (char === undefined) fail(reader, 'a string is not closed');
  const simple = SIMPLE_ESCAPES[char];
  if (simple !== undefined) {
    reader.at += 2;
    return simple;
  }
  const octal = /^[0-7]{1,3}/.exec(reader.text.slice(reader.at + 1, reader.at + 4))?.[0];
  if (octal) {
    reader.at += 1 + octal.length;
    return String.fromCodePoint(Number.parseInt(octal, 8));
  }
  const width = char === 'x' ? 2 : char === 'u' ? 4 : char === 'U' ? 8 : 0;
  if (width === 0) {
    // Python keeps an unknown escape as it is, backslash included.
    reader.at += 1;
    return '\\';
  }
  const digits = reader.text.slice(reader.at + 2, reader.at + 2 + width);
  if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) {
    fail(reader, `\\${char} needs ${width} hex digits`);
  }
  const code = Number.parseInt(digits, 16);
  if (code > 0x10ffff) fail(reader, `\\${char}${digits} is beyond Unicode`);
  reader.at += 2 + width;
  return String.fromCodePoint(code);
}

/** In a raw string a backslash stays, and only keeps the next character from ending it. */
function readRawEscape(reader: Reader): string {
  const next = reader.text[reader.at + 1];
  if (next === undefined) fail(reader, 'a string is not closed');
  reader.at += 2;
  return `\\${next}`;
}

function skipSpace(reader: Reader): void {
  while (/[ \t\n\r\f\v]/.test(reader.text[reader.at] ?? '')) reader.at++;
}

function fail(reader: Reader, message: string): never {
  throw new PyLiteralError(`${message} at offset ${reader.at}`, reader.at);
}
