import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeServerIdentity } from '../../src/catalog/server-identity.ts';
import {
  ensureServerLayout,
  lockPath,
  type ServerLayout,
  serverLayout,
} from '../../src/catalog/server-layout.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { BarkeepError, isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { isRetryable, receiveWal } from '../../src/streaming/receive-wal.ts';
import { runningReceiver } from '../../src/streaming/receiver-control.ts';
import { type Lsn, parseLsn } from '../../src/wal/lsn.ts';
import { type ThrowawayCluster, testVersions, useCluster } from '../support/cluster.ts';
import { waitFor } from '../support/receiver.ts';
import { type LoggedLine, recordingLogger } from '../support/recording-logger.ts';

let dir: string;
let counter = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'barkeep-receive-wal-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A server section of its own (its own catalog under a fresh barman_home). */
async function serverWith(
  lines: string[],
): Promise<{ server: ServerConfig; layout: ServerLayout }> {
  const home = join(dir, `home-${++counter}`);
  const file = join(dir, `barkeep-${counter}.conf`);
  await writeFile(
    file,
    ['[barkeep]', `barman_home = ${home}`, '', '[pg]', ...lines, ''].join('\n'),
  );
  const server = (await loadConfig({ explicitFile: file })).servers.get('pg')!;
  return { server, layout: serverLayout('pg', server.settings) };
}

/** A receiveWal running in the background. */
interface Receiver {
  readonly lines: LoggedLine[];
  readonly flushes: Lsn[];
  /** Undefined when receiveWal returned, the error when it threw. */
  readonly outcome: Promise<unknown>;
  ended(): boolean;
  stop(): Promise<unknown>;
}

function startReceiving(
  server: ServerConfig,
  options: { maxBackoffMs?: number; env?: NodeJS.ProcessEnv } = {},
): Receiver {
  const controller = new AbortController();
  const { logger, lines } = recordingLogger();
  const flushes: Lsn[] = [];
  let ended = false;
  const outcome = receiveWal(server, {
    logger,
    signal: controller.signal,
    onFlush: (lsn) => flushes.push(lsn),
    ...options,
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  void outcome.then(() => {
    ended = true;
  });
  return {
    lines,
    flushes,
    outcome,
    ended: () => ended,
    stop: async () => {
      controller.abort();
      return outcome;
    },
  };
}

async function insertPosition(cluster: ThrowawayCluster): Promise<Lsn> {
  await cluster.query('INSERT INTO t VALUES (1)');
  const [row] = await cluster.query<{ lsn: string }>(
    'SELECT pg_current_wal_insert_lsn()::text AS lsn',
  );
  return parseLsn(row!.lsn);
}

async function walsenderPid(cluster: ThrowawayCluster): Promise<number | undefined> {
  const [row] = await cluster.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_replication WHERE application_name = 'barkeep_receive_wal'",
  );
  return row?.pid;
}

for (const major of testVersions()) {
  describe(`receiveWal in-process, PostgreSQL ${major}`, () => {
    const handle = useCluster({ major, label: 'receive-wal', initdbArgs: ['--wal-segsize=1'] });
    let streaming: string[];

    before(async () => {
      await handle.cluster.query('CREATE TABLE t (n int)');
      streaming = [
        `conninfo = ${handle.cluster.conninfo()}`,
        `streaming_conninfo = ${handle.cluster.conninfo()}`,
        'streaming_archiver = on',
      ];
    });

    it('streams until stopped, holding the receive-wal lock and releasing it', async () => {
      const { cluster } = handle;
      const { server, layout } = await serverWith(streaming);
      const receiver = startReceiving(server, { env: process.env });
      await waitFor(() => receiver.flushes.length > 0 || receiver.ended(), 'a flush');
      assert.equal((await runningReceiver(server))?.pid, process.pid);
      assert.ok(existsSync(layout.identityFile), 'the identity was learned and recorded');
      const target = await insertPosition(cluster);
      await waitFor(
        () => (receiver.flushes.at(-1) ?? 0n) >= target,
        'the flush to pass the insert',
      );
      assert.equal(await receiver.stop(), undefined);
      assert.equal(await runningReceiver(server), undefined);
      assert.equal(existsSync(lockPath(layout, 'receive-wal')), false);
      assert.equal(readdirSync(layout.streaming).filter((f) => f.endsWith('.partial')).length, 1);
    });

    it('refuses a second receiver for the same server', async () => {
      const { server } = await serverWith(streaming);
      const first = startReceiving(server);
      try {
        await waitFor(() => first.flushes.length > 0 || first.ended(), 'a flush');
        const second = await startReceiving(server).outcome;
        assert.ok(isBarkeepError(second, 'lockHeld'), String(second));
        assert.equal(second.exitCode, 4);
        assert.match(second.why, new RegExp(`process ${process.pid}`));
      } finally {
        assert.equal(await first.stop(), undefined);
      }
    });

    it("refuses a server that is not the catalog's cluster, and releases the lock", async () => {
      const { server, layout } = await serverWith(streaming);
      await ensureServerLayout(layout);
      await writeServerIdentity(layout.identityFile, { systemid: '42', version: String(major) });
      const error = await startReceiving(server).outcome;
      assert.ok(isBarkeepError(error, 'systemIdMismatch'), String(error));
      assert.match(error.why, /the catalog belongs to 42$/);
      assert.equal(existsSync(lockPath(layout, 'receive-wal')), false);
    });

    it('refuses a missing slot with create_slot = manual, with the hint', async () => {
      const { server } = await serverWith([
        ...streaming,
        'slot_name = not_there',
        'create_slot = manual',
      ]);
      const error = await startReceiving(server).outcome;
      if (major >= 15) {
        assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
        assert.equal(error.what, 'replication slot missing');
        assert.match(error.hint, /receive-wal --create-slot pg/);
      } else {
        assert.ok(isBarkeepError(error, 'postgresQuery'), String(error));
        assert.match(error.why, /does not exist \(SQLSTATE 42704\)/);
      }
    });

    it('refuses streamed WAL that is ahead of the server', async () => {
      const { server, layout } = await serverWith(streaming);
      await ensureServerLayout(layout);
      await writeFile(join(layout.streaming, '000000010000000200000000.partial'), '');
      const error = await startReceiving(server).outcome;
      assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
      assert.equal(error.what, 'streamed WAL is ahead of the server');
    });

    it('reports WAL the server no longer has as its refusal, not as an internal error', async () => {
      const { cluster } = handle;
      const { server, layout } = await serverWith(streaming);
      await ensureServerLayout(layout);
      // A .partial of the cluster's first segment, which checkpoints have recycled since.
      await writeFile(join(layout.streaming, '000000010000000000000001.partial'), '');
      for (let i = 0; i < 3; i++) {
        await cluster.query('INSERT INTO t VALUES (2)');
        await cluster.query('SELECT pg_switch_wal()');
      }
      await cluster.query('CHECKPOINT');
      const error = await startReceiving(server).outcome;
      assert.ok(isBarkeepError(error, 'postgresQuery'), String(error));
      assert.equal(error.what, 'streaming refused by the server');
      assert.equal(error.subject, 'pg');
      assert.match(
        error.why,
        /000000010000000000000001 has already been removed \(SQLSTATE 58P01\)$/,
      );
      assert.match(error.hint, /barkeep check pg/);
      assert.equal(error.exitCode, 1);
    });

    it('reconnects after the server restarts and goes on streaming', async () => {
      const { cluster } = handle;
      const { server } = await serverWith(streaming);
      const receiver = startReceiving(server, { maxBackoffMs: 200 });
      try {
        await waitFor(() => receiver.flushes.length > 0 || receiver.ended(), 'a flush');
        await cluster.restart();
        const target = await insertPosition(cluster);
        await waitFor(
          () => (receiver.flushes.at(-1) ?? 0n) >= target || receiver.ended(),
          'a flush after the restart',
        );
        assert.equal(receiver.ended(), false, JSON.stringify(receiver.lines));
        const warnings = receiver.lines.filter((line) => line.level === 'warning');
        assert.ok(warnings.length > 0);
        assert.match(
          warnings[0]!.message,
          /^streaming interrupted \(.+\); reconnecting in 0\.2 s$/,
        );
      } finally {
        assert.equal(await receiver.stop(), undefined);
      }
    });

    it('waits no longer than maxBackoffMs before reconnecting', async () => {
      const { cluster } = handle;
      const { server } = await serverWith(streaming);
      const receiver = startReceiving(server, { maxBackoffMs: 100 });
      try {
        await waitFor(() => receiver.flushes.length > 0 || receiver.ended(), 'a flush');
        const before = await walsenderPid(cluster);
        assert.ok(before !== undefined);
        const terminated = Date.now();
        await cluster.query(`SELECT pg_terminate_backend(${before})`);
        await waitFor(async () => {
          const pid = await walsenderPid(cluster);
          return pid !== undefined && pid !== before;
        }, 'a new walsender');
        const waited = Date.now() - terminated;
        assert.ok(waited < 900, `reconnected after ${waited} ms`);
      } finally {
        assert.equal(await receiver.stop(), undefined);
      }
    });

    it('stops while waiting to reconnect to a server that is down', async () => {
      const { server, layout } = await serverWith([
        'conninfo = host=127.0.0.1 port=1 user=postgres',
        'streaming_archiver = on',
      ]);
      await ensureServerLayout(layout);
      await writeServerIdentity(layout.identityFile, { systemid: '42', version: String(major) });
      const receiver = startReceiving(server, { maxBackoffMs: 60_000 });
      await waitFor(
        () => receiver.lines.some((line) => line.level === 'warning') || receiver.ended(),
        'a failed connection',
      );
      assert.match(
        receiver.lines[0]!.message,
        /^streaming interrupted \(.*\); reconnecting in 1 s$/,
      );
      const stopping = Date.now();
      assert.equal(await receiver.stop(), undefined);
      assert.ok(Date.now() - stopping < 500, 'the wait ends with the stop');
      assert.equal(existsSync(lockPath(layout, 'receive-wal')), false);
    });

    it('needs streaming_conninfo or conninfo', async () => {
      const { server } = await serverWith(['streaming_archiver = on']);
      const error = await startReceiving(server).outcome;
      assert.ok(isBarkeepError(error, 'configInvalidValue'), String(error));
      assert.equal(error.why, 'neither streaming_conninfo nor conninfo is set');
    });
  });
}

describe('isRetryable', () => {
  const withCode = (code: string, severity = 'FATAL') =>
    Object.assign(new Error(code), { code, severity });
  const barkeep = (kind: 'postgresConnection' | 'postgresQuery' | 'io' | 'systemIdMismatch') =>
    new BarkeepError(kind, { what: 'x', subject: 'y', why: 'z' });

  it('retries connection trouble: lost connections, shutdowns, restarts, too many clients', () => {
    for (const error of [
      barkeep('postgresConnection'),
      withCode('08006'),
      withCode('08P01'),
      withCode('57P01'),
      withCode('57P02'),
      withCode('57P03'),
      withCode('53300'),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
      Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }),
      new Error('Connection terminated unexpectedly'),
      undefined,
    ]) {
      assert.equal(isRetryable(error), true, String(error));
    }
  });

  it('does not retry what barkeep or the server refuses on purpose', () => {
    for (const error of [
      barkeep('postgresQuery'),
      barkeep('io'),
      barkeep('systemIdMismatch'),
      withCode('58P01', 'ERROR'),
      withCode('42704', 'ERROR'),
      withCode('55006', 'ERROR'),
      withCode('28000'),
      Object.assign(new Error('disk full'), { code: 'ENOSPC' }),
    ]) {
      assert.equal(isRetryable(error), false, String(error));
    }
  });
});
