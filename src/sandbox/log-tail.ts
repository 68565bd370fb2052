/**
 * The last `lines` non-empty lines of a server log, for error messages: when a throwaway
 * cluster fails to start, the reason is in PostgreSQL's log, not in our exception.
 */
export function logTail(text: string, lines = 15): string {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-lines)
    .join('\n');
}
