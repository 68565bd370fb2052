import { formatGfsSchedule, isGfsSchedule } from '../retention/gfs-schedule.ts';
import type { OptionSpec } from './option-spec.ts';
import { optionTable } from './option-table.ts';
import type { OptionName, Settings } from './settings.ts';
import type { Period, RetentionPolicy } from './value-parsers.ts';

/** One effective setting for display: console text and JSON value. */
export interface DescribedSetting {
  readonly name: OptionName | string;
  /** As `show-servers` prints it: Barman's spelling (True/False/None), secrets redacted. */
  readonly text: string;
  /** As `-f json` prints it: booleans, numbers, null, strings. */
  readonly json: string | number | boolean | null;
}

/**
 * Every option's effective value in name order, in the form `show-servers` and `diagnose` print.
 * Options marked secret (conninfo) pass through `redact` so no password is ever shown; `extra`
 * adds computed values (such as the catalog directories) that override the raw settings.
 */
export function describeSettings(
  settings: Settings,
  redact: (value: string) => string,
  extra: Readonly<Record<string, string>> = {},
): DescribedSetting[] {
  const rows = new Map<string, DescribedSetting>();
  for (const [name, spec] of Object.entries(optionTable) as [OptionName, OptionSpec<unknown>][]) {
    const value = settings[name] as unknown;
    const json = jsonValue(value);
    const shown = spec.secret && typeof json === 'string' ? redact(json) : json;
    rows.set(name, { name, text: textValue(shown), json: shown });
  }
  for (const [name, value] of Object.entries(extra))
    rows.set(name, { name, text: value, json: value });
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function jsonValue(value: unknown): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string')
    return value;
  if (Array.isArray(value)) return value.join(', ');
  if (isGfsSchedule(value)) return formatGfsSchedule(value);
  if (isRetention(value)) {
    return value.kind === 'redundancy'
      ? `REDUNDANCY ${value.count}`
      : `RECOVERY WINDOW OF ${value.count} ${value.unit.toUpperCase()}`;
  }
  if (isPeriod(value)) return `${value.count} ${value.unit.toUpperCase()}`;
  return JSON.stringify(value);
}

function textValue(value: string | number | boolean | null): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

function isRetention(value: unknown): value is RetentionPolicy {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

function isPeriod(value: unknown): value is Period {
  return typeof value === 'object' && value !== null && 'unit' in value && 'count' in value;
}
