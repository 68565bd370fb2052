import { ValueError, type ValueParser } from '../config/value-parsers.ts';

/**
 * A cron expression for `backup_schedule`: the five fields of crontab(5) (minute, hour, day of
 * month, month, day of week; `*`, numbers, `a-b` ranges, `,` lists and `/n` steps; day of week
 * 0-7 with 0 and 7 Sunday), or six fields with seconds first (ours, for short intervals). As in
 * cron, when both day fields are restricted a day matching either one fires.
 */
export interface BackupSchedule {
  readonly text: string;
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly anyDay: boolean;
  readonly anyWeekday: boolean;
}

const FIELDS = [
  ['second', 0, 59],
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 7],
] as const;

/** Parses a `backup_schedule` value; throws ValueError naming the field at fault. */
export const parseBackupSchedule: ValueParser<BackupSchedule> = (raw) => {
  const words = raw.trim().split(/\s+/);
  if (words.length !== 5 && words.length !== 6)
    throw new ValueError(
      `'${raw}' is not a cron expression: 5 fields (minute hour day month weekday), or 6 with seconds first`,
    );
  const fields = words.length === 5 ? ['0', ...words] : words;
  const sets = fields.map((field, index) => parseField(field, FIELDS[index]!));
  const weekdays = new Set([...sets[5]!].map((day) => day % 7));
  return {
    text: raw.trim(),
    seconds: sets[0]!,
    minutes: sets[1]!,
    hours: sets[2]!,
    days: sets[3]!,
    months: sets[4]!,
    weekdays,
    anyDay: fields[3] === '*',
    anyWeekday: fields[5] === '*',
  };
};

function parseField(
  field: string,
  [name, low, high]: readonly [string, number, number],
): ReadonlySet<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new ValueError(`the ${name} field '${field}' is not a cron field`);
    const from = match[1] === '*' ? low : Number(match[2]);
    const to = match[1] === '*' ? high : match[3] !== undefined ? Number(match[3]) : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    const last = match[4] !== undefined && match[3] === undefined && match[1] !== '*' ? high : to;
    if (from < low || last > high || from > last || step < 1)
      throw new ValueError(`the ${name} field '${field}' is outside ${low}-${high}`);
    for (let value = from; value <= last; value += step) values.add(value);
  }
  return values;
}

/**
 * The first instant strictly after `after` (local time, whole seconds) that `schedule` matches,
 * or undefined when none comes within about four years (e.g. the 31st of February).
 */
export function nextBackupTime(schedule: BackupSchedule, after: Date): Date | undefined {
  const at = new Date(after.getTime());
  at.setMilliseconds(0);
  at.setSeconds(at.getSeconds() + 1);
  const limit = after.getTime() + 4 * 366 * 86_400_000;
  while (at.getTime() <= limit) {
    if (!schedule.months.has(at.getMonth() + 1)) {
      at.setMonth(at.getMonth() + 1, 1);
      at.setHours(0, 0, 0);
      continue;
    }
    if (!dayMatches(schedule, at)) {
      at.setDate(at.getDate() + 1);
      at.setHours(0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(at.getHours())) {
      at.setHours(at.getHours() + 1, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(at.getMinutes())) {
      at.setMinutes(at.getMinutes() + 1, 0);
      continue;
    }
    if (!schedule.seconds.has(at.getSeconds())) {
      at.setSeconds(at.getSeconds() + 1);
      continue;
    }
    return at;
  }
  return undefined;
}

function dayMatches(schedule: BackupSchedule, at: Date): boolean {
  const day = schedule.days.has(at.getDate());
  const weekday = schedule.weekdays.has(at.getDay());
  if (schedule.anyDay && schedule.anyWeekday) return true;
  if (schedule.anyDay) return weekday;
  if (schedule.anyWeekday) return day;
  return day || weekday;
}
