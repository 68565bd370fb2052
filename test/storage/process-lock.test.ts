import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { acquireLock, readLockHolder } from '../../src/storage/process-lock.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'barkeep-lock-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts a child process that takes the lock, reports it, and then waits to be killed. */
async function childHoldingLock(path: string): Promise<{ pid: number; kill: () => Promise<void> }> {
  const script = `
    import { acquireLock } from ${JSON.stringify(new URL('../../src/storage/process-lock.ts', import.meta.url).href)};
    await acquireLock(${JSON.stringify(path)}, 'backup');
    process.stdout.write('locked\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    kill: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

describe('acquireLock', () => {
  it('takes a free lock, records the holder, and releases it', async () => {
    const path = join(dir, '.pg-backup.lock');
    const lock = await acquireLock(path, 'backup');
    const holder = await readLockHolder(path);
    assert.equal(holder?.pid, process.pid);
    assert.equal(holder?.purpose, 'backup');
    await lock.release();
    await lock.release();
    assert.deepEqual(await readdir(dir), []);
  });

  it('refuses a lock held by a live process with exit code 4 and its PID', async () => {
    const path = join(dir, '.pg-archive-wal.lock');
    const child = await childHoldingLock(path);
    try {
      await assert.rejects(acquireLock(path, 'archive-wal'), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'lockHeld'));
        assert.equal(error.exitCode, 4);
        assert.match(error.why, new RegExp(`process ${child.pid} holds it for backup`));
        return true;
      });
    } finally {
      await child.kill();
    }
  });

  it('takes over the lock of a process killed with SIGKILL', async () => {
    const path = join(dir, '.pg-receive-wal.lock');
    const child = await childHoldingLock(path);
    await child.kill();
    const lock = await acquireLock(path, 'receive-wal');
    assert.equal((await readLockHolder(path))?.pid, process.pid);
    await lock.release();
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith('.pg-receive-wal')),
      [],
    );
  });

  it('does not trust a reused PID: same PID, other start time is stale', async () => {
    const path = join(dir, '.pg-reused.lock');
    await writeFile(
      path,
      JSON.stringify({
        pid: process.pid,
        startTime: '1',
        host: (await import('node:os')).hostname(),
        purpose: 'backup',
        acquiredAt: 'then',
        token: 'old',
      }),
    );
    const lock = await acquireLock(path, 'backup');
    assert.equal((await readLockHolder(path))?.token, lock.holder.token);
    await lock.release();
  });

  it('takes over an empty lock file such as Barman leaves behind', async () => {
    const path = join(dir, '.pg-cron.lock');
    await writeFile(path, '');
    const lock = await acquireLock(path, 'cron');
    assert.match(await readFile(path, 'utf8'), /"purpose":"cron"/);
    await lock.release();
  });

  it('gives the lock to exactly one of many concurrent takers', async () => {
    const path = join(dir, '.pg-race.lock');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => acquireLock(path, 'retention')),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const result of results) {
      if (result.status === 'rejected') assert.ok(isBarkeepError(result.reason, 'lockHeld'));
    }
    await (
      won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>
    ).value.release();
  });
});
