import { type ErrorKind, errorKinds } from './error-kinds.ts';

/** The parts of an error message: `ERROR: <what> '<subject>': <why>. <hint>`. */
export interface BarkeepErrorParts {
  /** What failed, e.g. `cannot read configuration`. */
  readonly what: string;
  /** The file, server, key or other object concerned. */
  readonly subject: string;
  /** Why it failed, one sentence without the final period. */
  readonly why: string;
  /** A hint more specific than the kind's default. */
  readonly hint?: string;
  /** The underlying error, kept for `-d`. */
  readonly cause?: unknown;
}

/**
 * The only error type domain code throws on purpose. It carries its kind (hence its exit code)
 * and the parts of the one-line message the CLI prints; nothing else formats errors.
 */
export class BarkeepError extends Error {
  readonly kind: ErrorKind;
  readonly what: string;
  readonly subject: string;
  readonly why: string;
  readonly hint: string;

  constructor(kind: ErrorKind, parts: BarkeepErrorParts) {
    super(`${parts.what} '${parts.subject}': ${stripPeriod(parts.why)}`, { cause: parts.cause });
    this.name = 'BarkeepError';
    this.kind = kind;
    this.what = parts.what;
    this.subject = parts.subject;
    this.why = stripPeriod(parts.why);
    this.hint = parts.hint ?? errorKinds[kind].hint;
  }

  /** The exit code of the kind, as the contract assigns it. */
  get exitCode(): number {
    return errorKinds[this.kind].exitCode;
  }

  /** The contract's one-line form, without the `ERROR: ` prefix. */
  toLine(): string {
    return `${this.what} '${this.subject}': ${this.why}. ${this.hint}`;
  }
}

/** True when `error` is a BarkeepError, optionally of the given kind. */
export function isBarkeepError(error: unknown, kind?: ErrorKind): error is BarkeepError {
  return error instanceof BarkeepError && (kind === undefined || error.kind === kind);
}

function stripPeriod(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}
