/**
 * Renders connection parameters in libpq's `key=value` conninfo form, the form barkeep's
 * `conninfo`/`streaming_conninfo` settings take, so tests and the demo can write them into a
 * configuration file. Values that are empty or contain spaces, quotes or backslashes are
 * single-quoted with `\` escapes; undefined values are left out.
 */
export function formatConninfo(
  params: Readonly<Record<string, string | number | undefined>>,
): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    parts.push(`${key}=${quote(String(value))}`);
  }
  return parts.join(' ');
}

function quote(value: string): string {
  if (value !== '' && !/[\s'\\]/.test(value)) return value;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
