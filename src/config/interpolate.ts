/** Looks up the raw (not yet interpolated) value of a key; undefined when nobody defines it. */
export type RawLookup = (key: string) => { value: string; lookup: RawLookup } | undefined;

/** Thrown for a bad `%` sequence or a missing or circular reference. */
export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

const MAX_DEPTH = 10;

/**
 * Python configparser's BasicInterpolation: `%(key)s` is replaced by the key's value (itself
 * interpolated, up to 10 levels, as Python does), `%%` by `%`; any other `%` is an error.
 * The lookup decides where keys come from (the same section, then the global one).
 */
export function interpolate(value: string, lookup: RawLookup, depth = 0): string {
  if (!value.includes('%')) return value;
  if (depth > MAX_DEPTH) {
    throw new InterpolationError(`references nest more than ${MAX_DEPTH} levels (a loop?)`);
  }
  let result = '';
  let rest = value;
  while (rest.length > 0) {
    const at = rest.indexOf('%');
    if (at < 0) {
      result += rest;
      break;
    }
    result += rest.slice(0, at);
    rest = rest.slice(at);
    if (rest.startsWith('%%')) {
      result += '%';
      rest = rest.slice(2);
      continue;
    }
    const reference = /^%\(([^)]+)\)s/.exec(rest);
    if (!reference) {
      throw new InterpolationError(
        `'%' must be followed by '%' or '(name)s', found '${rest.slice(0, 10)}'`,
      );
    }
    const key = reference[1]!.toLowerCase();
    const found = lookup(key);
    if (!found) throw new InterpolationError(`%(${key})s refers to a key that is not set`);
    result += interpolate(found.value, found.lookup, depth + 1);
    rest = rest.slice(reference[0].length);
  }
  return result;
}
