import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { temporaryNameFor } from './durable-write.ts';
import { isProcessAlive, processStartTime } from './process-identity.ts';
import { uniqueSuffix } from './unique-suffix.ts';

/** What a lock file records about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly startTime?: string;
  readonly host: string;
  readonly purpose: string;
  readonly acquiredAt: string;
  readonly token: string;
}

/** A lock this process holds; release it when the operation ends. */
export interface HeldLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): Promise<void>;
}

const MAX_ATTEMPTS = 20;

/**
 * Takes an exclusive lock as a file that names its holder (PID, process start time, host).
 * A live holder makes this fail with `lockHeld` (exit 4) naming its PID. The lock of a process
 * that died (even by kill -9) is taken over: liveness is judged by PID and start time, so a
 * reused PID does not keep a dead lock alive. The file is created complete in one step (a hard
 * link of a fully written temporary file), so readers never see a half-written holder.
 */
export async function acquireLock(path: string, purpose: string): Promise<HeldLock> {
  const holder: LockHolder = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    host: hostname(),
    purpose,
    acquiredAt: new Date().toISOString(),
    token: uniqueSuffix(16),
  };
  const temporary = temporaryNameFor(path);
  try {
    await writeFile(temporary, `${JSON.stringify(holder)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw ioError('cannot create lock file', path, error);
  }
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        await link(temporary, path);
        return heldLock(path, holder);
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw ioError('cannot create lock file', path, error);
      }
      const current = await readHolder(path);
      if (current === 'gone') continue;
      if (current !== 'unreadable' && isHeld(current)) {
        const where = current.host === holder.host ? '' : ` on host ${current.host}`;
        throw new BarkeepError('lockHeld', {
          what: `cannot take the ${purpose} lock`,
          subject: path,
          why: `process ${current.pid}${where} holds it for ${current.purpose} since ${current.acquiredAt}`,
          ...(where
            ? { hint: `If host ${current.host} no longer runs barkeep, remove the file.` }
            : {}),
        });
      }
      await takeOverStale(path, current === 'unreadable' ? undefined : current.token);
    }
    throw new BarkeepError('lockHeld', {
      what: `cannot take the ${purpose} lock`,
      subject: path,
      why: `other processes kept taking it over during ${MAX_ATTEMPTS} attempts`,
    });
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Reads the holder recorded in a lock file, without taking anything. */
export async function readLockHolder(path: string): Promise<LockHolder | undefined> {
  const current = await readHolder(path);
  return typeof current === 'object' ? current : undefined;
}

/** True when the recorded holder is a live process (always true for another host's holder). */
export function isHeld(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  return isProcessAlive(holder.pid, holder.startTime);
}

async function readHolder(path: string): Promise<LockHolder | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'gone';
    throw ioError('cannot read lock file', path, error);
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.token !== 'string') return 'unreadable';
    return {
      pid: parsed.pid,
      host: String(parsed.host ?? ''),
      purpose: String(parsed.purpose ?? 'unknown'),
      acquiredAt: String(parsed.acquiredAt ?? ''),
      token: parsed.token,
      ...(parsed.startTime !== undefined ? { startTime: String(parsed.startTime) } : {}),
    };
  } catch {
    // Not our format (e.g. an empty lock file left by Barman, which locks with fcntl): no
    // barkeep process can be holding it.
    return 'unreadable';
  }
}

/**
 * Moves a dead holder's lock file out of the way. The move and the check of what was moved are
 * separate steps, so when another process replaced the stale lock in between, the file we moved
 * is put back.
 */
async function takeOverStale(path: string, staleToken: string | undefined): Promise<void> {
  const aside = `${path}.stale.${uniqueSuffix(8)}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw ioError('cannot take over stale lock file', path, error);
  }
  const moved = await readHolder(aside);
  const movedToken = typeof moved === 'object' ? moved.token : undefined;
  if (movedToken !== staleToken && typeof moved === 'object' && isHeld(moved)) {
    try {
      await link(aside, path);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw ioError('cannot restore lock file', path, error);
    }
  }
  await rm(aside, { force: true });
}

function heldLock(path: string, holder: LockHolder): HeldLock {
  let released = false;
  return {
    path,
    holder,
    async release() {
      if (released) return;
      released = true;
      const current = await readHolder(path);
      if (typeof current === 'object' && current.token === holder.token) {
        await rm(path, { force: true });
      }
    },
  };
}
