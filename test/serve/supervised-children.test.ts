import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { parseBackupSchedule } from '../../src/serve/backup-schedule.ts';
import { BackupScheduler } from '../../src/serve/backup-scheduler.ts';
import { SupervisedReceiver } from '../../src/serve/supervised-receiver.ts';
import { diskCatalog } from '../retention/disk-catalog.ts';

const until = async (predicate: () => boolean, what: string, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** A stand-in for barkeep: a shell script that records its arguments and behaves as told. */
async function fakeBarkeep(dir: string, body: string): Promise<string> {
  const path = join(dir, 'fake-barkeep');
  await writeFile(path, `#!/bin/sh\necho "$@" >> ${join(dir, 'calls')}\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

describe('SupervisedReceiver', () => {
  it('restarts a receiver that ends, keeping its last error, and stops it on request', async () => {
    const { server, dir } = await diskCatalog(['conninfo = host=/nonexistent']);
    // Ends at once with a message the first time, then stays up.
    const program = await fakeBarkeep(
      dir,
      `if [ ! -f ${join(dir, 'once')} ]; then touch ${join(dir, 'once')}; echo 'ERROR: connection lost' >&2; exit 1; fi\nexec sleep 60`,
    );
    const receiver = new SupervisedReceiver(server, { program, args: ['-c', 'x'] }, silentLogger);
    receiver.start();
    try {
      await until(() => receiver.state.restarts === 1, 'a restart');
      assert.equal(receiver.state.lastError, 'ERROR: connection lost');
      await until(() => receiver.state.state === 'running', 'running again');
      assert.ok(receiver.state.pid);
    } finally {
      await receiver.stop(2000);
    }
    assert.equal(receiver.state.state, 'stopped');
    assert.equal(receiver.state.pid, undefined);
  });
});

describe('BackupScheduler', () => {
  it('runs barkeep backup at the scheduled times and records the outcome', async () => {
    const { server, dir } = await diskCatalog(['conninfo = host=/nonexistent']);
    const program = await fakeBarkeep(dir, 'echo "ERROR: no server" >&2; exit 1');
    const runs: boolean[] = [];
    const scheduler = new BackupScheduler(
      server,
      parseBackupSchedule('* * * * * *'),
      { program, args: ['-c', 'x'] },
      silentLogger,
      (_seconds, ok) => runs.push(ok),
    );
    scheduler.start();
    try {
      assert.equal(scheduler.state.schedule, '* * * * * *');
      assert.ok(scheduler.state.next);
      await until(() => runs.length >= 1, 'a scheduled run', 5000);
      assert.deepEqual(runs.slice(0, 1), [false]);
      assert.equal(scheduler.state.lastRun?.ok, false);
      assert.equal(scheduler.state.lastRun?.detail, 'ERROR: no server');
    } finally {
      await scheduler.stop();
    }
  });

  it('never arms a schedule that matches no date', async () => {
    const { server } = await diskCatalog([]);
    const scheduler = new BackupScheduler(
      server,
      parseBackupSchedule('0 0 31 2 *'),
      { program: '/bin/false', args: [] },
      silentLogger,
      () => assert.fail('no run'),
    );
    scheduler.start();
    assert.equal(scheduler.state.next, undefined);
    await scheduler.stop();
  });
});
