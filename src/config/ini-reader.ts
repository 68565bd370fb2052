/**
 * A reader for Python configparser syntax, the syntax of Barman's configuration files:
 * `[section]` headers, `key = value` or `key: value`, full-line `#`/`;` comments, indented
 * continuation lines, case-insensitive keys. It only parses; interpolation and validation
 * happen in the loader, which knows the global section.
 */

/** One `key = value` of a section, with where it was written. */
export interface IniEntry {
  readonly key: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

/** One `[section]` and its entries in file order. */
export interface IniSection {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly entries: Map<string, IniEntry>;
}

/** A syntax error at a given line; the loader turns it into a configuration error. */
export class IniSyntaxError extends Error {
  override name = 'IniSyntaxError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

interface OpenValue {
  section: IniSection;
  key: string;
  line: number;
  indent: number;
  lines: string[];
}

const SECTION_RE = /^\[(.+)\]$/;
const OPTION_RE = /^(.*?)\s*[=:]\s*(.*)$/;

/**
 * Parses configparser text into sections, in order. Throws IniSyntaxError for a line outside any
 * section, a line that is neither a header nor `key = value`, or a section or key given twice
 * in the same file (configparser's strict mode, which Barman uses).
 */
export function readIni(text: string, file: string): IniSection[] {
  const sections: IniSection[] = [];
  const seen = new Map<string, number>();
  let current: IniSection | undefined;
  let open: OpenValue | undefined;

  const close = () => {
    if (!open) return;
    while (open.lines.length > 1 && open.lines[open.lines.length - 1] === '') open.lines.pop();
    open.section.entries.set(open.key, {
      key: open.key,
      value: open.lines.join('\n'),
      file,
      line: open.line,
    });
    open = undefined;
  };

  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const raw = lines[index]!;
    const stripped = raw.trim();
    if (stripped.startsWith('#') || stripped.startsWith(';')) continue;
    const indent = raw.length - raw.trimStart().length;
    if (stripped === '') {
      if (open) open.lines.push('');
      continue;
    }
    if (open && indent > open.indent) {
      open.lines.push(stripped);
      continue;
    }
    close();
    const header = SECTION_RE.exec(stripped);
    if (header) {
      const name = header[1]!.trim();
      const previous = seen.get(name);
      if (previous !== undefined) {
        throw new IniSyntaxError(
          file,
          lineNumber,
          `section [${name}] already began at line ${previous}`,
        );
      }
      seen.set(name, lineNumber);
      current = { name, file, line: lineNumber, entries: new Map() };
      sections.push(current);
      continue;
    }
    if (!current) {
      throw new IniSyntaxError(file, lineNumber, 'a key outside any [section]');
    }
    const option = OPTION_RE.exec(stripped);
    if (!option || option[1] === '') {
      throw new IniSyntaxError(file, lineNumber, `'${stripped}' is not 'key = value'`);
    }
    const key = option[1]!.trim().toLowerCase();
    const existing = current.entries.get(key);
    if (existing) {
      throw new IniSyntaxError(
        file,
        lineNumber,
        `key '${key}' is already set at line ${existing.line} of [${current.name}]`,
      );
    }
    open = { section: current, key, line: lineNumber, indent, lines: [option[2]!.trim()] };
  }
  close();
  return sections;
}
