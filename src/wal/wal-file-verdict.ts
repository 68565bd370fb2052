/**
 * Why `validateWalFile` refused a file: every problem found, plus two flags the archive layer
 * needs to choose its reaction (error kind, retry or move to `errors/`).
 */
export interface WalFileRejection {
  readonly ok: false;
  /** Each problem, one phrase without a final period, most fundamental first. */
  readonly reasons: readonly string[];
  /** The reasons joined with `; `, for a one-line message. */
  readonly reason: string;
  /** The file comes from another cluster (its system identifier is not the expected one). */
  readonly foreign: boolean;
  /**
   * The file is shorter than its header says it must be: possibly still being copied, so the
   * caller may retry later instead of rejecting it for good.
   */
  readonly truncated: boolean;
}

/** The outcome of a check: the facts when the file is valid, else a {@link WalFileRejection}. */
export type WalFileCheck<Facts> = { readonly ok: true; readonly facts: Facts } | WalFileRejection;

/** Builds a {@link WalFileRejection} from its reasons (at least one) and flags. */
export function rejectWalFile(
  reasons: readonly string[],
  flags: { readonly foreign?: boolean; readonly truncated?: boolean } = {},
): WalFileRejection {
  return {
    ok: false,
    reasons,
    reason: reasons.join('; '),
    foreign: flags.foreign ?? false,
    truncated: flags.truncated ?? false,
  };
}
