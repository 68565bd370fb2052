import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureServerLayout, lockPath, serverLayout } from '../../src/catalog/server-layout.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { receiveWal } from '../../src/streaming/receive-wal.ts';
import {
  createReceiverSlot,
  dropReceiverSlot,
  resetStreaming,
  runningReceiver,
  stopReceiver,
} from '../../src/streaming/receiver-control.ts';
import { type ThrowawayCluster, testVersions, useCluster } from '../support/cluster.ts';
import { waitFor } from '../support/receiver.ts';

let dir: string;
let counter = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'barkeep-receiver-control-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A server section with its own catalog, written to a file a child process can load too. */
async function serverWith(lines: string[]): Promise<{ server: ServerConfig; configFile: string }> {
  const home = join(dir, `home-${++counter}`);
  const configFile = join(dir, `barkeep-${counter}.conf`);
  await writeFile(
    configFile,
    ['[barkeep]', `barman_home = ${home}`, '', '[pg]', ...lines, ''].join('\n'),
  );
  const server = (await loadConfig({ explicitFile: configFile })).servers.get('pg')!;
  return { server, configFile };
}

const source = (path: string) => JSON.stringify(new URL(`../../src/${path}`, import.meta.url).href);

/** A child process (the receiver another shell started), printing `ready` once it is. */
async function startChild(script: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Only this process's coverage is counted: the child is the receiver under test's peer.
    env: { ...process.env, NODE_V8_COVERAGE: '' },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor(() => output.includes('ready') || child.exitCode !== null, 'the child to be ready');
  assert.equal(child.exitCode, null, output);
  return { child, output: () => output };
}

/** `receive-wal SERVER` in a child process, stopping cleanly on SIGTERM. */
function receiverScript(configFile: string): string {
  return `
    import { loadConfig } from ${source('config/load-config.ts')};
    import { silentLogger } from ${source('logging/logger.ts')};
    import { receiveWal } from ${source('streaming/receive-wal.ts')};
    const server = (await loadConfig({ explicitFile: ${JSON.stringify(configFile)} })).servers.get('pg');
    const controller = new AbortController();
    process.on('SIGTERM', () => controller.abort());
    let told = false;
    await receiveWal(server, {
      logger: silentLogger,
      signal: controller.signal,
      onFlush: () => { if (!told) { told = true; process.stdout.write('ready\\n'); } },
    });
    process.stdout.write('stopped\\n');
  `;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function serverLsn(cluster: ThrowawayCluster): Promise<string> {
  const [row] = await cluster.query<{ file: string }>(
    'SELECT pg_walfile_name(pg_current_wal_lsn()) AS file',
  );
  return row!.file;
}

for (const major of testVersions()) {
  describe(`receiver control, PostgreSQL ${major}`, () => {
    const handle = useCluster({ major, label: 'receiver-control' });
    let streaming: string[];

    before(() => {
      streaming = [
        `conninfo = ${handle.cluster.conninfo()}`,
        `streaming_conninfo = ${handle.cluster.conninfo()}`,
        'streaming_archiver = on',
      ];
    });

    it('finds no receiver and stops none when none runs', async () => {
      const { server } = await serverWith(streaming);
      assert.equal(await runningReceiver(server), undefined);
      assert.equal(await stopReceiver(server), undefined);
    });

    it('stops a receiver running in another process and waits until it let go', async () => {
      const { server, configFile } = await serverWith(streaming);
      const { child, output } = await startChild(receiverScript(configFile));
      const running = await runningReceiver(server);
      assert.equal(running?.pid, child.pid);
      assert.ok(!Number.isNaN(Date.parse(running!.since)));
      assert.equal(await stopReceiver(server), child.pid);
      assert.equal(await exited(child), 0, output());
      assert.match(output(), /stopped/);
      assert.equal(await runningReceiver(server), undefined);
      const layout = serverLayout('pg', server.settings);
      assert.equal(existsSync(lockPath(layout, 'receive-wal')), false);
      assert.equal(readdirSync(layout.streaming).filter((f) => f.endsWith('.partial')).length, 1);
    });

    it('gives up on a receiver that does not stop, naming it', async () => {
      const { server } = await serverWith(streaming);
      const lock = lockPath(serverLayout('pg', server.settings), 'receive-wal');
      const { child } = await startChild(`
        import { mkdirSync } from 'node:fs';
        import { dirname } from 'node:path';
        import { acquireLock } from ${source('storage/process-lock.ts')};
        mkdirSync(dirname(${JSON.stringify(lock)}), { recursive: true });
        await acquireLock(${JSON.stringify(lock)}, 'receive-wal');
        process.on('SIGTERM', () => {});
        process.stdout.write('ready\\n');
        setInterval(() => {}, 1000);
      `);
      try {
        await assert.rejects(stopReceiver(server, 300), (error: unknown) => {
          assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
          assert.equal(error.what, 'receiver did not stop');
          assert.equal(error.subject, String(child.pid));
          assert.match(error.why, /still holds the receive-wal lock after 0.3 s/);
          assert.match(error.hint, new RegExp(`kill -9 ${child.pid}`));
          return true;
        });
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
      assert.equal(await runningReceiver(server), undefined, 'the lock of a dead process');
    });

    it('refuses to reset while a receiver runs', async () => {
      const { server } = await serverWith(streaming);
      const controller = new AbortController();
      let flushed = false;
      const receiving = receiveWal(server, {
        logger: silentLogger,
        signal: controller.signal,
        onFlush: () => {
          flushed = true;
        },
      });
      try {
        await waitFor(() => flushed, 'a flush');
        await assert.rejects(resetStreaming(server), (error: unknown) => {
          assert.ok(isBarkeepError(error, 'lockHeld'), String(error));
          assert.equal(error.why, `receiver ${process.pid} is running`);
          assert.equal(error.hint, 'Stop it first: barkeep receive-wal --stop pg.');
          return true;
        });
      } finally {
        controller.abort();
        await receiving;
      }
    });

    it('resets by removing only the .partial files ahead of the server', async () => {
      const { cluster } = handle;
      const { server } = await serverWith(streaming);
      const layout = serverLayout('pg', server.settings);
      assert.deepEqual(await resetStreaming(server), [], 'no streaming/ yet');
      await ensureServerLayout(layout);
      const current = await serverLsn(cluster);
      const kept = [
        `${current}.partial`,
        '000000010000000000000000',
        '0000000100000000000000FF',
        '000000010000000000000FFF.partial',
        'notes.partial',
        '00000002.history',
      ];
      const ahead = [
        '0000000100000000000000FE.partial',
        '00000001000000010000000A.partial',
        '000000020000000000000001.partial',
      ];
      for (const name of [...kept, ...ahead]) await writeFile(join(layout.streaming, name), '');
      assert.deepEqual(await resetStreaming(server), [...ahead].sort());
      assert.deepEqual(readdirSync(layout.streaming).sort(), [...kept].sort());
      assert.deepEqual(await resetStreaming(server), []);
    });

    it('creates and drops the slot named by slot_name', async () => {
      const { cluster } = handle;
      const { server } = await serverWith([...streaming, 'slot_name = control_slot']);
      assert.equal(await createReceiverSlot(server), 'control_slot');
      const slots = () =>
        cluster.query<{ slot_type: string; restart_lsn: string | null }>(
          "SELECT slot_type, restart_lsn::text FROM pg_replication_slots WHERE slot_name = 'control_slot'",
        );
      const [slot] = await slots();
      assert.equal(slot?.slot_type, 'physical');
      assert.notEqual(slot?.restart_lsn, null, 'the slot reserves WAL from now on');
      await assert.rejects(createReceiverSlot(server), (error: unknown) =>
        isBarkeepError(error, 'postgresQuery'),
      );
      assert.equal(await dropReceiverSlot(server), 'control_slot');
      assert.deepEqual(await slots(), []);
    });

    it('needs slot_name to create or drop a slot, and a conninfo to reach the server', async () => {
      const { server } = await serverWith(streaming);
      for (const action of [createReceiverSlot, dropReceiverSlot]) {
        await assert.rejects(action(server), (error: unknown) => {
          assert.ok(isBarkeepError(error, 'configInvalidValue'), String(error));
          assert.equal(error.what, 'no replication slot configured');
          assert.equal(error.why, 'slot_name is not set');
          return true;
        });
      }
      const { server: unreachable } = await serverWith(['slot_name = s']);
      await assert.rejects(createReceiverSlot(unreachable), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'configInvalidValue'), String(error));
        assert.equal(error.what, 'cannot reach the server');
        return true;
      });
      await assert.rejects(resetStreaming(unreachable), { kind: 'configInvalidValue' });
    });
  });
}
