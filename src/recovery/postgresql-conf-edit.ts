/**
 * Small, careful edits of postgresql.conf text: comment out a setting everywhere it is set, add
 * settings in a marked block at the end (the last value wins in PostgreSQL), and rewrite the
 * paths of include directives. Lines barkeep does not touch stay byte for byte.
 */

const SETTING = /^(\s*)([A-Za-z_][A-Za-z0-9_.]*)(\s*=?\s*)(.*)$/;

/** Quotes a value as postgresql.conf wants a string: single quotes, `'` doubled. */
export function quoteConfValue(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Comments out every active line that sets one of `names`, saying why. */
export function commentOutSettings(text: string, names: readonly string[], why: string): string {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  return text
    .split('\n')
    .map((line) => {
      const match = SETTING.exec(line);
      if (!match || !wanted.has(match[2]!.toLowerCase()) || line.trimStart().startsWith('#'))
        return line;
      return `#${line}  # ${why}`;
    })
    .join('\n');
}

/** Appends settings in a block headed by `title`. */
export function appendSettings(
  text: string,
  title: string,
  settings: Readonly<Record<string, string>>,
): string {
  const lines = Object.entries(settings).map(([name, value]) => `${name} = ${value}`);
  const base = text.endsWith('\n') || text === '' ? text : `${text}\n`;
  return `${base}\n# ${title}\n${lines.join('\n')}\n`;
}

/**
 * Rewrites the paths of `include`, `include_if_exists` and `include_dir` directives through
 * `map` (which returns undefined to leave a path as it is).
 */
export function rewriteIncludes(text: string, map: (path: string) => string | undefined): string {
  return text
    .split('\n')
    .map((line) => {
      const match =
        /^(\s*)(include_dir|include_if_exists|include)(\s*=?\s*)'((?:[^']|'')*)'(.*)$/i.exec(line);
      if (!match) return line;
      const path = match[4]!.replace(/''/g, "'");
      const mapped = map(path);
      return mapped === undefined
        ? line
        : `${match[1]}${match[2]}${match[3]}${quoteConfValue(mapped)}${match[5]}`;
    })
    .join('\n');
}

/** The value of a setting as the file sets it last (quotes removed), or undefined. */
export function readSetting(text: string, name: string): string | undefined {
  let value: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trimStart().startsWith('#')) continue;
    const match = SETTING.exec(line);
    if (!match || match[2]!.toLowerCase() !== name.toLowerCase()) continue;
    const raw = match[4]!.trim();
    const quoted = /^'((?:[^'\\]|''|\\.)*)'/.exec(raw);
    value = quoted
      ? quoted[1]!.replace(/''/g, "'").replace(/\\(.)/g, '$1')
      : (/^[^\s#]*/.exec(raw)?.[0] ?? '');
  }
  return value;
}
