import { BarkeepError } from '../errors/barkeep-error.ts';

/** The lines to print on stderr for an error that ended a command, and the exit code. */
export interface FormattedError {
  readonly lines: string[];
  readonly exitCode: number;
}

/**
 * The contract's one-line form, `ERROR: <what failed> '<object>': <why>. <hint>`, for any
 * error: a BarkeepError as it is, anything else as an internal error. With `debug`, the stack
 * and the causes follow on their own lines.
 */
export function formatError(error: unknown, debug: boolean): FormattedError {
  const known =
    error instanceof BarkeepError
      ? error
      : new BarkeepError('internal', {
          what: 'unexpected failure',
          subject: 'barkeep',
          why: error instanceof Error ? error.message : String(error),
          cause: error,
        });
  const lines = [`ERROR: ${known.toLine()}`];
  if (debug) {
    let current: unknown = known === error ? known : error;
    while (current instanceof Error) {
      lines.push(current.stack ?? String(current));
      current = current.cause;
    }
  }
  return { lines, exitCode: known.exitCode };
}
