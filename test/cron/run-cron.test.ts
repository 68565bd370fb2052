import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lockPath } from '../../src/catalog/server-layout.ts';
import { runCron } from '../../src/cron/run-cron.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { processStartTime } from '../../src/storage/process-identity.ts';
import { diskCatalog, writeBackup } from '../retention/disk-catalog.ts';

// Never started here: the receiver step is exercised end to end in test/e2e/cron.test.ts.
const barkeep = { program: '/bin/false', args: [] };

describe('runCron', () => {
  it('reports a failing step and goes on with the next ones', async () => {
    // No identity.json and no server to ask: archive-wal cannot check a file's origin.
    const { server, layout } = await diskCatalog([
      'conninfo = host=/nonexistent',
      'archiver = on',
      'retention_policy = REDUNDANCY 1',
    ]);
    await writeFile(join(layout.incoming, '000000010000000000000001'), 'not yet checked');
    const day = (n: number) => new Date(Date.UTC(2026, 10, n, 12));
    for (const [id, n] of [
      ['20261101T120000', 1],
      ['20261102T120000', 2],
    ] as const)
      await writeBackup(layout, id, {
        beginWal: '000000010000000000000002',
        endWal: '000000010000000000000002',
        end: day(n),
      });
    const [outcome] = await runCron([server], { logger: silentLogger, barkeep });
    assert.equal(outcome!.server, 'pg');
    assert.equal(outcome!.failures.length, 1);
    assert.match(outcome!.failures[0]!, /^archive-wal: cannot verify WAL origin 'pg'/);
    assert.deepEqual(outcome!.receiver, { state: 'off' });
    assert.equal(outcome!.deletedBackups, 1, 'retention ran after the failed step');
  });

  it('skips a step whose lock another barkeep process holds', async () => {
    const { server, layout } = await diskCatalog(['conninfo = host=/nonexistent', 'archiver = on']);
    await writeFile(join(layout.backupDirectory, 'identity.json'), '{"systemid": "1"}\n');
    // Another live process holds it (a lock of our own PID would be ours to take).
    const holder = spawn('sleep', ['60']);
    await new Promise((resolve) => holder.once('spawn', resolve));
    const pid = holder.pid!;
    await writeFile(
      lockPath(layout, 'archive-wal'),
      `${JSON.stringify({ pid, startTime: processStartTime(pid), host: hostname(), purpose: 'archive-wal', acquiredAt: new Date().toISOString(), token: 'test' })}\n`,
    );
    try {
      const [outcome] = await runCron([server], { logger: silentLogger, barkeep });
      assert.deepEqual(outcome!.skipped, ['archive-wal']);
      assert.deepEqual(outcome!.failures, []);
      assert.equal(outcome!.archived, 0);
    } finally {
      holder.kill();
    }
  });
});
