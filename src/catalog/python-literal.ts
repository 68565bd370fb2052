/**
 * Python literals as Barman's backup.info stores them: the text of `repr()` for writing, and the
 * subset of `ast.literal_eval` that such text uses for reading (python-literal-parser.ts).
 *
 * Python types map to JavaScript as: `None` → null, `True`/`False` → boolean, int → bigint,
 * float → number, str → string, list → array, tuple → {@link PyTuple}, dict → {@link PyDict}.
 * Ints and floats stay distinct so that `2.0` is written back as `2.0` and `2` as `2`.
 */

/** A Python tuple, kept apart from a list because repr() writes it with parentheses. */
export interface PyTuple {
  readonly type: 'tuple';
  readonly items: readonly PyValue[];
}

/** A Python dict: its entries in insertion order, which repr() keeps. */
export interface PyDict {
  readonly type: 'dict';
  readonly entries: readonly (readonly [PyValue, PyValue])[];
}

/** A value that a Python literal can express (see the module comment for the mapping). */
export type PyValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | readonly PyValue[]
  | PyTuple
  | PyDict;

/**
 * A literal that cannot be read or a value that cannot be written. `position` is the offset in
 * the text where reading failed (-1 when writing). Callers turn it into a BarkeepError that names
 * the file and key, which this module does not know.
 */
export class PyLiteralError extends Error {
  readonly position: number;

  constructor(message: string, position = -1) {
    super(message);
    this.name = 'PyLiteralError';
    this.position = position;
  }
}

/** Builds a tuple, e.g. a tablespace `('tbs1', 16385, '/srv/tbs1')`. */
export function pyTuple(...items: PyValue[]): PyTuple {
  return { type: 'tuple', items };
}

/** Builds a dict from entries or from a record with string keys (kept in the record's order). */
export function pyDict(
  source: Readonly<Record<string, PyValue>> | readonly (readonly [PyValue, PyValue])[],
): PyDict {
  const entries = Array.isArray(source)
    ? (source as readonly (readonly [PyValue, PyValue])[])
    : Object.entries(source as Readonly<Record<string, PyValue>>);
  return { type: 'dict', entries };
}

/** True when the value is a tuple. */
export function isPyTuple(value: PyValue): value is PyTuple {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'items' in value;
}

/** True when the value is a dict. */
export function isPyDict(value: PyValue): value is PyDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'entries' in value;
}

/** Python's `repr()` of a value, which `ast.literal_eval` reads back to the same value. */
export function formatPyLiteral(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return pyFloatRepr(value);
  if (typeof value === 'string') return pyStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(formatPyLiteral).join(', ')}]`;
  if (isPyTuple(value)) {
    const items = value.items.map(formatPyLiteral);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (isPyDict(value)) {
    const entries = value.entries.map(
      ([key, item]) => `${formatPyLiteral(key)}: ${formatPyLiteral(item)}`,
    );
    return `{${entries.join(', ')}}`;
  }
  throw new PyLiteralError(`cannot write ${typeof value} as a Python literal`);
}

// Python's str.isprintable() is false for these categories (the ASCII space excepted); repr()
// escapes such characters instead of writing them.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/**
 * Python 3's `repr()` of a str: single quotes unless the text holds `'` and no `"`; `\\`, the
 * chosen quote, `\t`, `\n`, `\r` escaped by name; other non-printable characters as `\xNN`,
 * `\uNNNN` or `\UNNNNNNNN` (lower-case hex); printable non-ASCII text kept as it is.
 */
export function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === ' ' || (code > 0x20 && code < 0x7f)) out += char;
    else if (code < 0x100 && (code < 0xa1 || NOT_PRINTABLE.test(char))) out += `\\x${hex(code, 2)}`;
    else if (!NOT_PRINTABLE.test(char)) out += char;
    else if (code < 0x10000) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + quote;
}

/**
 * Python's `repr()` of a float: the shortest digits that read back to the same number (as
 * JavaScript also finds them), laid out as Python does: an exponent when the decimal point
 * would fall more than 16 places right or 4 places left of the digits (`1e+16`, `1e-05`), and
 * `.0` on whole numbers (`2.0`). NaN and infinities have no literal form and are refused.
 */
export function pyFloatRepr(value: number): string {
  if (!Number.isFinite(value)) {
    throw new PyLiteralError(`cannot write ${value} as a Python literal`);
  }
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  // The value is 0.<digits> × 10^decimalPoint.
  const decimalPoint = Number(exponentText) + 1;
  if (decimalPoint > 16 || decimalPoint < -3) {
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const exponent = decimalPoint - 1;
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${rest}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
  if (decimalPoint >= digits.length) {
    return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}.0`;
  }
  return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}
