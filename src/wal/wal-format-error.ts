/**
 * Thrown by the pure WAL parsers in `src/wal/` when text or bytes that claim to be an LSN, a
 * timeline ID, a segment name, a timeline history or a backup history file are malformed.
 *
 * It deliberately carries no exit code or operator hint: the `wal` module knows nothing about
 * commands. The layer that read the file (archive, get-wal, recovery) maps it to a
 * `BarkeepError` naming the file, and uses `reason` as the "why" of the message.
 */
export class WalFormatError extends Error {
  /** What is wrong, one phrase without a final period, e.g. `timeline 0 is not valid`. */
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.name = 'WalFormatError';
    this.reason = reason;
  }
}

/** True when `error` is a {@link WalFormatError}. */
export function isWalFormatError(error: unknown): error is WalFormatError {
  return error instanceof WalFormatError;
}
