import { ValueError, type ValueParser } from '../config/value-parsers.ts';

/** The calendar periods of a GFS schedule, shortest first. */
export const GFS_PERIODS = ['days', 'weeks', 'months', 'years'] as const;

/** One calendar period of a GFS schedule. */
export type GfsPeriod = (typeof GFS_PERIODS)[number];

/**
 * barkeep's grandfather-father-son retention (`retention_gfs`): how many days, ISO weeks,
 * calendar months and calendar years keep their newest DONE backup. A period left out is 0.
 */
export type GfsSchedule = Readonly<Record<GfsPeriod, number>>;

const LETTERS: Readonly<Record<string, GfsPeriod>> = {
  d: 'days',
  w: 'weeks',
  m: 'months',
  y: 'years',
};

/**
 * Parses `retention_gfs`: space- or comma-separated counts with a unit letter, any order, each
 * unit at most once, case-insensitive: `7d 4w 12m`, `30d, 12m, 5y`. Every count is at least 1.
 */
export const parseGfsSchedule: ValueParser<GfsSchedule> = (raw) => {
  const tokens = raw
    .trim()
    .split(/[\s,]+/)
    .filter((token) => token !== '');
  if (tokens.length === 0)
    throw new ValueError('an empty GFS schedule keeps nothing (use e.g. 7d 4w 12m)');
  const schedule: Record<GfsPeriod, number> = { days: 0, weeks: 0, months: 0, years: 0 };
  const given = new Set<GfsPeriod>();
  for (const token of tokens) {
    const match = /^(\d+)([dwmy])$/i.exec(token);
    if (!match) {
      throw new ValueError(
        `'${token}' is not a count with a unit (use e.g. 7d 4w 12m 2y: days, weeks, months, years)`,
      );
    }
    const period = LETTERS[match[2]!.toLowerCase()]!;
    if (given.has(period)) throw new ValueError(`${period} are given twice in '${raw.trim()}'`);
    const count = Number.parseInt(match[1]!, 10);
    if (count < 1) throw new ValueError(`'${token}' keeps nothing; leave it out instead`);
    given.add(period);
    schedule[period] = count;
  }
  return schedule;
};

/** The schedule in its canonical written form, e.g. `7d 4w 12m`. */
export function formatGfsSchedule(schedule: GfsSchedule): string {
  return GFS_PERIODS.filter((period) => schedule[period] > 0)
    .map((period) => `${schedule[period]}${period[0]}`)
    .join(' ');
}

/** True when `value` is a parsed GFS schedule (for generic display code). */
export function isGfsSchedule(value: unknown): value is GfsSchedule {
  return (
    typeof value === 'object' &&
    value !== null &&
    GFS_PERIODS.every((period) => typeof (value as Record<string, unknown>)[period] === 'number')
  );
}
