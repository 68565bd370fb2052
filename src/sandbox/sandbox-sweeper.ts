import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime } from '../storage/process-identity.ts';
import { processesWithCwdUnder } from './process-table.ts';
import { ownerFileName, sandboxDirectoryPrefix } from './sandbox-directory.ts';

/** A directory without owner file younger than this may still be under construction. */
const ownerlessGraceMs = 60_000;

/**
 * Removes the sandbox directories (clusters, installed CLI copies) left behind by processes that
 * died without cleaning up, typically a test process that was SIGKILLed: for each
 * `<root>/barkeep-sandbox-*` whose `owner.pid` names a process that no longer runs (pid and start
 * time must both match, so pid reuse is harmless), it SIGKILLs the PostgreSQL processes still
 * working in it (the postmaster of `data/postmaster.pid` and every process whose cwd is inside)
 * and deletes it. Directories of live owners are left alone. Returns the directories removed.
 */
export function sweepDeadSandboxes(root: string = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(sandboxDirectoryPrefix)) continue;
    const directory = join(root, name);
    if (!isAbandoned(directory)) continue;
    killProcessesIn(directory);
    try {
      rmSync(directory, { recursive: true, force: true, maxRetries: 3 });
      removed.push(directory);
    } catch {
      // Another sweeper got there first, or a file is not ours to remove: try again next time.
    }
  }
  return removed;
}

function isAbandoned(directory: string): boolean {
  let owner: string;
  try {
    owner = readFileSync(join(directory, ownerFileName), 'utf8');
  } catch {
    try {
      const info = statSync(directory);
      return info.isDirectory() && Date.now() - info.mtimeMs > ownerlessGraceMs;
    } catch {
      return false;
    }
  }
  const [pidText = '', startTime = ''] = owner.split('\n');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  const actualStart = processStartTime(pid);
  if (actualStart === undefined) return true;
  return startTime !== '' && actualStart !== startTime;
}

/** SIGKILLs the postmaster named in the data dir's postmaster.pid, then every process inside. */
function killProcessesIn(directory: string): void {
  const postmaster = readPostmasterPid(join(directory, 'data', 'postmaster.pid'));
  if (postmaster !== undefined && processesWithCwdUnder(directory).includes(postmaster)) {
    signal(-postmaster); // its process group: the sandbox starts every postmaster as a leader
    signal(postmaster);
  }
  for (const pid of processesWithCwdUnder(directory)) signal(pid);
}

function readPostmasterPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
