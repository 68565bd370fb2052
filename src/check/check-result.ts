/** The outcome of one check, printed as `name: OK` or `name: FAILED (hint)`. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** Why it failed and what to do; for a passing check, an optional note. */
  readonly hint?: string;
}

/** All checks of one server. */
export interface ServerCheckReport {
  readonly server: string;
  readonly results: readonly CheckResult[];
}

/** True when every check of the report passed. */
export function reportPassed(report: ServerCheckReport): boolean {
  return report.results.every((result) => result.ok);
}

/** A passing check. */
export function passed(name: string, hint?: string): CheckResult {
  return hint === undefined ? { name, ok: true } : { name, ok: true, hint };
}

/** A failing check with the reason and the fix. */
export function failed(name: string, hint: string): CheckResult {
  return { name, ok: false, hint };
}
