import { BarkeepError } from '../errors/barkeep-error.ts';
import { parseLsn } from '../wal/lsn.ts';

/** Where recovery stops. `latest`: replay everything available. */
export type RecoveryTarget =
  | { readonly kind: 'latest' }
  | { readonly kind: 'immediate' }
  | { readonly kind: 'time'; readonly value: string; readonly date: Date }
  | { readonly kind: 'xid'; readonly value: string }
  | { readonly kind: 'lsn'; readonly value: string }
  | { readonly kind: 'name'; readonly value: string };

/** The target options of `recover`, as given on the command line. */
export interface TargetOptions {
  readonly targetTime?: string | undefined;
  readonly targetXid?: string | undefined;
  readonly targetLsn?: string | undefined;
  readonly targetName?: string | undefined;
  readonly targetImmediate?: boolean | undefined;
}

/**
 * The recovery target named by the options: at most one of --target-time, --target-xid,
 * --target-lsn, --target-name, --target-immediate (two at once is a usage error, as PostgreSQL
 * itself refuses several recovery_target settings), each checked for its form.
 */
export function recoveryTarget(options: TargetOptions): RecoveryTarget {
  const given = [
    options.targetTime !== undefined && 'time',
    options.targetXid !== undefined && 'xid',
    options.targetLsn !== undefined && 'lsn',
    options.targetName !== undefined && 'name',
    options.targetImmediate && 'immediate',
  ].filter(Boolean) as string[];
  if (given.length > 1) {
    throw usage(
      given.map((kind) => `--target-${kind}`).join(' and '),
      'only one recovery target can be given',
    );
  }
  if (options.targetTime !== undefined) {
    const date = parseTargetTime(options.targetTime);
    return { kind: 'time', value: options.targetTime, date };
  }
  if (options.targetXid !== undefined) {
    if (!/^\d+$/.test(options.targetXid))
      throw usage(options.targetXid, 'a transaction ID is a whole number');
    return { kind: 'xid', value: options.targetXid };
  }
  if (options.targetLsn !== undefined) {
    try {
      parseLsn(options.targetLsn);
    } catch {
      throw usage(options.targetLsn, "an LSN is written like '0/3000060'");
    }
    return { kind: 'lsn', value: options.targetLsn };
  }
  if (options.targetName !== undefined) {
    if (options.targetName === '') throw usage('--target-name', 'the restore point name is empty');
    return { kind: 'name', value: options.targetName };
  }
  if (options.targetImmediate) return { kind: 'immediate' };
  return { kind: 'latest' };
}

/**
 * A target time as PostgreSQL would read it: a timestamp with an optional zone. Without a zone
 * it is the local time of this host (PostgreSQL would use its own TimeZone; say so in the
 * output).
 */
function parseTargetTime(text: string): Date {
  const match =
    /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      text.trim(),
    );
  if (!match) throw usage(text, "a target time is written like '2026-11-24 10:15:00+00'");
  const zone = match[3];
  let iso = `${match[1]}T${match[2]}`;
  if (zone)
    iso += /^(z|utc)$/i.test(zone)
      ? 'Z'
      : zone.length === 3
        ? `${zone}:00`
        : zone.includes(':')
          ? zone
          : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const date = new Date(iso);
  // Date rolls 2026-02-30 over into March; PostgreSQL refuses it, so refuse it here.
  const [year, month, day] = match[1]!.split('-').map(Number) as [number, number, number];
  if (Number.isNaN(date.getTime()) || new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day)
    throw usage(text, 'not a valid date and time');
  return date;
}

function usage(subject: string, why: string): BarkeepError {
  return new BarkeepError('usage', { what: 'invalid recovery target', subject, why });
}
