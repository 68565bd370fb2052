import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { processesWithCwdUnder } from '../../src/sandbox/process-table.ts';
import { isProcessAlive } from '../../src/storage/process-identity.ts';
import {
  lookupOsUser,
  smokeVersions,
  startThrowawayCluster,
  sweepDeadSandboxes,
  testVersions,
  useCluster,
} from '../support/cluster.ts';

const ownerScript = fileURLToPath(new URL('./fixtures/cluster-owner.ts', import.meta.url));
const runningAsRoot = process.getuid?.() === 0;

for (const major of smokeVersions()) {
  describe(`throwaway cluster on PostgreSQL ${major}`, () => {
    it('applies settings, survives crash and restart, and stop removes everything', async () => {
      const cluster = await startThrowawayCluster({
        major,
        label: `smoke-${major}`,
        settings: { work_mem: '7MB', archive_mode: true, archive_command: "test '%p' != x" },
      });
      try {
        assert.equal(cluster.major, major);
        assert.ok(cluster.dataDir.startsWith(cluster.baseDir));
        assert.equal(cluster.configDir, undefined);
        assert.equal(cluster.configFile, join(cluster.dataDir, 'postgresql.conf'));
        assert.ok(cluster.baseDir.startsWith(join(tmpdir(), `barkeep-sandbox-smoke-${major}-`)));
        const [version] = await cluster.query<{ v: string }>(
          `SELECT current_setting('server_version_num') AS v`,
        );
        assert.equal(Math.floor(Number(version!.v) / 10000), major);
        assert.deepEqual(await cluster.query('SHOW work_mem'), [{ work_mem: '7MB' }]);
        assert.deepEqual(await cluster.query('SHOW archive_mode'), [{ archive_mode: 'on' }]);
        assert.deepEqual(await cluster.query('SHOW archive_command'), [
          { archive_command: "test '%p' != x" },
        ]);
        assert.deepEqual(await cluster.query('SHOW data_checksums'), [{ data_checksums: 'on' }]);
        assert.deepEqual(await cluster.query('SHOW wal_level'), [{ wal_level: 'replica' }]);
        if (runningAsRoot) {
          const status = readFileSync(`/proc/${cluster.pid}/status`, 'utf8');
          assert.match(status, new RegExp(`^Uid:\\s+${lookupOsUser('postgres').uid}\\s`, 'm'));
          assert.equal(cluster.osUser, 'postgres');
        }

        await cluster.query('CREATE TABLE kept (n int)');
        await cluster.query('INSERT INTO kept SELECT generate_series(1, 1000)');
        const crashedPid = cluster.pid;
        await cluster.crash();
        assert.equal(isProcessAlive(crashedPid), false);
        assert.deepEqual(processesWithCwdUnder(cluster.dataDir), []);
        await cluster.restart();
        assert.notEqual(cluster.pid, crashedPid);
        assert.deepEqual(await cluster.query('SELECT count(*)::int AS n FROM kept'), [{ n: 1000 }]);
        assert.match(
          readFileSync(cluster.logFile, 'utf8'),
          /not properly shut down|automatic recovery/,
        );

        const before = cluster.pid;
        await cluster.restart();
        assert.notEqual(cluster.pid, before);
        assert.equal(isProcessAlive(before), false);
      } finally {
        await cluster.stop();
      }
      assert.equal(existsSync(cluster.baseDir), false);
      assert.equal(isProcessAlive(cluster.pid), false);
      await cluster.stop(); // idempotent
      await assert.rejects(cluster.restart(), /stopped/);
    });
  });
}

describe('throwaway cluster connections', () => {
  const handle = useCluster({
    major: testVersions()[0],
    hbaLines: ['host all alice 127.0.0.1/32 scram-sha-256'],
  });

  it('gives a libpq conninfo for TCP and honours the extra hba lines', async () => {
    const { cluster } = handle;
    await cluster.query(`CREATE ROLE alice LOGIN PASSWORD 'it''s secret'`);
    assert.equal(
      cluster.conninfo(),
      `host=127.0.0.1 port=${cluster.port} user=postgres dbname=postgres`,
    );
    assert.equal(
      cluster.conninfo({ user: 'alice', password: "it's secret" }),
      `host=127.0.0.1 port=${cluster.port} user=alice dbname=postgres password='it\\'s secret'`,
    );
    const tcp = { host: cluster.host, port: cluster.port, database: 'postgres' };
    await assert.rejects(connect({ ...tcp, user: 'alice', password: 'wrong' }), /password/);
    await connect({ ...tcp, user: 'alice', password: "it's secret" });
    await connect({ ...tcp, user: 'postgres' }); // trust for everyone else
  });

  it('sweeps nothing of a live owner', () => {
    assert.equal(sweepDeadSandboxes().includes(handle.cluster.baseDir), false);
    assert.equal(existsSync(handle.cluster.dataDir), true);
  });
});

describe('throwaway cluster teardown', { concurrency: true }, () => {
  it('a sweeper removes the cluster of a SIGKILLed owner', async () => {
    const owner = await startOwner('hang');
    assert.equal(isProcessAlive(owner.info.pid), true);
    assert.deepEqual(sweepDeadSandboxes(owner.tmp), []);
    owner.child.kill('SIGKILL');
    await owner.exited;
    assert.equal(isProcessAlive(owner.info.pid), true, 'the orphaned server still runs');
    assert.deepEqual(sweepDeadSandboxes(owner.tmp), [owner.info.baseDir]);
    assert.equal(existsSync(owner.info.baseDir), false);
    await waitUntil(() => !isProcessAlive(owner.info.pid));
  });

  for (const mode of ['return'] as const) {
    it(`an owner that ends without stop() (${mode}) takes its cluster along`, async () => {
      const owner = await startOwner(mode);
      const { code } = await owner.exited;
      assert.equal(code, mode === 'return' ? 0 : 1);
      assert.equal(existsSync(owner.info.baseDir), false);
      await waitUntil(() => !isProcessAlive(owner.info.pid));
    });
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`an owner interrupted by ${signal} takes its cluster along and dies of it`, async () => {
      const owner = await startOwner('hang');
      owner.child.kill(signal);
      assert.deepEqual(await owner.exited, { code: null, signal });
      assert.equal(existsSync(owner.info.baseDir), false);
      await waitUntil(() => !isProcessAlive(owner.info.pid));
    });
  }

  it('restarts on a new port when another process took its port', async () => {
    const cluster = await startThrowawayCluster({ label: 'port-moves' });
    const blocker = createServer();
    try {
      const oldPort = cluster.port;
      await cluster.crash();
      await new Promise<void>((resolve) => blocker.listen(oldPort, '127.0.0.1', resolve));
      await cluster.restart();
      assert.notEqual(cluster.port, oldPort);
      assert.deepEqual(await cluster.query('SHOW port'), [{ port: String(cluster.port) }]);
      assert.match(cluster.conninfo(), new RegExp(`port=${cluster.port} `));
      await connect({ host: cluster.host, port: cluster.port, user: 'postgres' });
      const conf = readFileSync(join(cluster.dataDir, 'postgresql.conf'), 'utf8');
      assert.match(conf, new RegExp(`^port = ${cluster.port}$`, 'm'));
    } finally {
      blocker.close();
      await cluster.stop();
    }
  });

  it('reports a port it cannot bind with the log, and leaves nothing behind', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    // Only this test's sandbox counts: an earlier test's may still be being removed meanwhile.
    const ours = () => ownSandboxes().filter((name) => name.includes('busy-port'));
    const before = ours();
    try {
      await assert.rejects(
        startThrowawayCluster({ settings: { port }, label: 'busy-port' }),
        (error: unknown) => {
          assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
          assert.match(error.why, /could not (bind|create)/);
          return true;
        },
      );
    } finally {
      blocker.close();
    }
    assert.deepEqual(ours(), before);
  });
});

async function connect(config: pg.ClientConfig): Promise<void> {
  const client = new pg.Client(config);
  client.on('error', () => {});
  await client.connect();
  await client.end();
}

interface OwnerInfo {
  readonly baseDir: string;
  readonly dataDir: string;
  readonly pid: number;
}

/**
 * Starts a process owning a cluster, with a temp dir of its own so that the sweepers of other
 * test processes never touch its sandbox.
 */
async function startOwner(mode: 'hang' | 'return') {
  const tmp = mkdtempSync(join(tmpdir(), 'barkeep-test-owner-'));
  chmodSync(tmp, 0o1777);
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', ownerScript, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await waitUntil(() => stdout.includes('\n') || child.exitCode !== null, 30_000);
  const line = stdout.split('\n')[0] ?? '';
  assert.ok(line.startsWith('{'), `owner printed ${stdout}${stderr}`);
  const info = JSON.parse(line) as OwnerInfo;
  assert.ok(info.baseDir.startsWith(tmp));
  return { child, exited, info, tmp };
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await sleep(20);
  }
}

function ownSandboxes(): string[] {
  return readdirSync(tmpdir()).filter((name) => {
    try {
      const owner = readFileSync(join(tmpdir(), name, 'owner.pid'), 'utf8');
      return name.startsWith('barkeep-sandbox-') && owner.startsWith(`${process.pid}\n`);
    } catch {
      return false;
    }
  });
}
