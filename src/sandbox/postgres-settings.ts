import { BarkeepError } from '../errors/barkeep-error.ts';

/** A postgresql.conf value as callers give it: numbers and booleans are written unquoted. */
export type SettingValue = string | number | boolean;

/**
 * Renders settings as postgresql.conf lines (`name = value`), so the sandbox can append them to
 * a fresh cluster's configuration. Strings are single-quoted with quotes doubled, booleans become
 * `on`/`off`, numbers are written as they are.
 *
 * @throws BarkeepError `usage` for a name that is not a valid parameter name.
 */
export function formatPostgresSettings(settings: Readonly<Record<string, SettingValue>>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(settings)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) {
      throw new BarkeepError('usage', {
        what: 'invalid PostgreSQL setting',
        subject: name,
        why: 'a parameter name has only letters, digits, underscores and dots',
        hint: 'Use the name as SHOW knows it, e.g. archive_mode.',
      });
    }
    lines.push(`${name} = ${formatValue(value)}`);
  }
  return lines.map((line) => `${line}\n`).join('');
}

function formatValue(value: SettingValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  return `'${value.replace(/'/g, "''")}'`;
}
