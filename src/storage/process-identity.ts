import { readFileSync } from 'node:fs';

/** The fields of /proc/PID/stat after the command name, or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * The kernel's start time of a process (field 22 of /proc/PID/stat, in clock ticks since boot),
 * or undefined when the process does not exist or /proc is not readable. Together with the PID
 * it identifies a process even after the PID is reused.
 */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * True when a process with this PID exists and has not exited (a zombie counts as gone) and,
 * when `startTime` is known, it is the same process that recorded it. A process we may not
 * signal (EPERM) exists.
 */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  if (fields === undefined) return true;
  if (fields[0] === 'Z') return false;
  return startTime === undefined || fields[19] === startTime;
}
