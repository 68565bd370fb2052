import { readdirSync, readlinkSync } from 'node:fs';
import { sep } from 'node:path';

/**
 * The processes whose working directory is `directory` or inside it, read from Linux's /proc:
 * every PostgreSQL process of a sandbox runs with its cwd in the data directory, so this finds
 * the orphans a crashed postmaster leaves.
 */
export function processesWithCwdUnder(directory: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue;
    }
    if (cwd === directory || cwd.startsWith(directory + sep)) pids.push(Number(entry));
  }
  return pids;
}
