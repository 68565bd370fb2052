import { BarkeepError, type BarkeepErrorParts } from '../errors/barkeep-error.ts';
import type { ErrorKind } from '../errors/error-kinds.ts';

/**
 * How a rejected file is kept in `errors/`, with Barman's suffixes: `unknown` for a name that is
 * not a WAL file name, `duplicate` for a name already archived with other content, `error` for
 * any other reason (bad content, another cluster's WAL).
 */
export type ErrorsSuffix = 'unknown' | 'duplicate' | 'error';

/** A WAL file barkeep refused to store; says how to keep it in `errors/`. */
export class WalRejection extends BarkeepError {
  readonly suffix: ErrorsSuffix;
  /** The file may still be being written (truncated and recently modified): retry later. */
  readonly maybeIncomplete: boolean;

  constructor(
    kind: ErrorKind,
    suffix: ErrorsSuffix,
    parts: BarkeepErrorParts,
    maybeIncomplete = false,
  ) {
    super(kind, parts);
    this.suffix = suffix;
    this.maybeIncomplete = maybeIncomplete;
  }
}
