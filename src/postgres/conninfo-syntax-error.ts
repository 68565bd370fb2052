/**
 * A connection string that libpq would refuse to parse. The message never contains a secret value
 * (a password may be the very text that is malformed); callers attach the redacted string.
 */
export class ConninfoSyntaxError extends Error {
  override name = 'ConninfoSyntaxError';
}

/** One `keyword = value` setting read from a connection string, before any validation. */
export interface ConninfoEntry {
  /** The keyword as written (URI query parameters and credentials included). */
  readonly keyword: string;
  /** The value with quotes, escapes and percent-encoding removed. */
  readonly value: string;
  /** Where the value sits in the original text (`[start, end)`), to mask it for display. */
  readonly span: readonly [number, number];
}
