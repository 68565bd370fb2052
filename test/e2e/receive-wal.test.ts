// Native streaming as an operator runs it: receive-wal in the background, the .partial growing,
// completed segments byte-identical, kill -9 and server restarts survived, zero data loss with
// synchronous replication, and the control options.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { smokeVersions } from '../support/cluster.ts';
import {
  newestPartial,
  type RunningReceiver,
  startReceiver,
  waitFor,
} from '../support/receiver.ts';

const STREAMING = ['streaming_archiver = on', 'slot_name = barkeep', 'create_slot = auto'];

async function currentWalFile(server: ArchivedServer): Promise<string> {
  const [row] = await server.cluster.query<{ name: string }>(
    'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
  );
  return row!.name;
}

/** Switches WAL and waits until the receiver completed the segment; returns its name. */
async function completeSegment(server: ArchivedServer): Promise<string> {
  const name = await currentWalFile(server);
  await server.cluster.query('SELECT pg_switch_wal()');
  await server.cluster.query('INSERT INTO t VALUES (0)');
  await waitFor(() => existsSync(join(server.layout.streaming, name)), `${name} streamed`);
  return name;
}

function assertStreamedIdentical(server: ArchivedServer, name: string): void {
  const streamed = readFileSync(join(server.layout.streaming, name));
  const original = readFileSync(join(server.cluster.dataDir, 'pg_wal', name));
  assert.equal(streamed.length, original.length);
  assert.ok(streamed.equals(original), `${name} streamed byte-identical`);
}

for (const major of smokeVersions()) {
  describe(`receive-wal, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    let receiver: RunningReceiver | undefined;

    before(async () => {
      server = await startArchivedServer({ major, label: 'e2e-stream', serverLines: STREAMING });
      await server.cluster.query('CREATE TABLE t (g int, note text)');
    });
    after(async () => {
      await receiver?.kill();
      await server?.stop();
    });

    it('creates the slot, and the .partial grows as rows are committed', async () => {
      receiver = startReceiver(server);
      await waitFor(async () => (await newestPartial(server)) !== undefined, 'a .partial');
      const [slot] = await server.cluster.query<{ active: boolean }>(
        "SELECT active FROM pg_replication_slots WHERE slot_name = 'barkeep'",
      );
      assert.equal(slot?.active, true, receiver.output());
      const before = (await newestPartial(server))!;
      await server.cluster.query(
        "INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g",
      );
      await waitFor(
        async () => (await newestPartial(server))!.size > before.size,
        'the .partial to grow',
      );
    });

    it("completes a segment byte-identical to the server's, and archive-wal stores it as put-wal did", async () => {
      const name = await completeSegment(server);
      assertStreamedIdentical(server, name);
      await waitFor(
        () => existsSync(join(server.layout.wals, name.slice(0, 16), name)),
        `${name} archived by put-wal`,
      );
      const run = await server.barkeep(['archive-wal', 'pg']);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(
        !existsSync(join(server.layout.streaming, name)),
        'the streamed copy went into the archive (identical: no error)',
      );
    });

    it('serves the newest .partial through get-wal --partial, zero-padded', async () => {
      const partial = (await newestPartial(server))!;
      const segment = partial.name.slice(0, 24);
      const missing = await server.barkeep(['get-wal', 'pg', segment]);
      assert.equal(missing.code, 1);
      const run = await server.barkeep(['get-wal', '--partial', 'pg', segment]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdoutBuffer.length, 16 * 1024 * 1024);
      const onDisk = readFileSync(join(server.layout.streaming, partial.name));
      assert.ok(run.stdoutBuffer.subarray(0, onDisk.length).equals(onDisk));
    });

    it('shows the receiver in status, replication-status and check', async () => {
      const status = await server.barkeep(['status', 'pg']);
      assert.match(status.stdout, /\tStreaming receiver: running \(pid \d+/);
      assert.match(status.stdout, /\tReplication slot: barkeep \(active/);
      const replication = await server.barkeep(['replication-status', 'pg']);
      assert.match(
        replication.stdout,
        /WAL streamer \(barkeep receive-wal\)\n {5}Application name: barkeep_receive_wal/,
      );
      const check = await server.barkeep(['check', 'pg']);
      assert.match(check.stdout, /\treceive-wal running: OK\n/);
      assert.match(check.stdout, /\treplication slot: OK\n/);
    });

    it('commits are on disk in the .partial when COMMIT returns, with the receiver as synchronous standby', async () => {
      await server.cluster.query(
        "ALTER SYSTEM SET synchronous_standby_names = 'barkeep_receive_wal'",
      );
      await server.cluster.query('SELECT pg_reload_conf()');
      await waitFor(async () => {
        const [row] = await server.cluster.query<{ sync_state: string }>(
          "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'barkeep_receive_wal'",
        );
        return row?.sync_state === 'sync';
      }, 'the receiver to become the synchronous standby');
      try {
        for (let i = 0; i < 5; i++) {
          const marker = `zero-loss-${Date.now()}-${i}-${Math.random().toString(36).slice(2)}`;
          await server.cluster.query(`INSERT INTO t VALUES (${i}, '${marker}')`);
          const partial = (await newestPartial(server))!;
          const bytes = readFileSync(join(server.layout.streaming, partial.name));
          assert.ok(
            bytes.includes(Buffer.from(marker)),
            `${marker} is in ${partial.name} when COMMIT returned`,
          );
        }
      } finally {
        await server.cluster.query('ALTER SYSTEM RESET synchronous_standby_names');
        await server.cluster.query('SELECT pg_reload_conf()');
      }
    });

    it('loses nothing when killed with SIGKILL mid-segment and restarted', async () => {
      await server.cluster.query('INSERT INTO t SELECT g FROM generate_series(1, 5000) g');
      await waitFor(async () => {
        const [row] = await server.cluster.query<{ lag: string }>(
          "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::text AS lag FROM pg_stat_replication WHERE application_name = 'barkeep_receive_wal'",
        );
        return row?.lag === '0';
      }, 'the receiver to catch up');
      await receiver!.kill();
      await server.cluster.query('INSERT INTO t SELECT g FROM generate_series(1, 30000) g');
      receiver = startReceiver(server);
      const name = await completeSegment(server);
      assertStreamedIdentical(server, name);
    });

    it('survives a server restart without a manual step', async () => {
      await server.cluster.restart();
      server.writeConfig(STREAMING);
      await server.cluster.query('INSERT INTO t SELECT g FROM generate_series(1, 10000) g');
      const name = await completeSegment(server);
      assertStreamedIdentical(server, name);
      assert.equal(receiver!.child.exitCode, null, 'the receiver is still running');
    });

    it('--stop stops it cleanly, --drop-slot and --create-slot manage the slot', async () => {
      const stop = await server.barkeep(['receive-wal', '--stop', 'pg']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /^Stopped receive-wal for server pg \(pid \d+\)\n$/);
      // The lock is released just before the process exits.
      await waitFor(() => receiver!.child.exitCode !== null, 'the receiver to exit', 5000);
      assert.equal(receiver!.child.exitCode, 0, receiver!.output());
      receiver = undefined;
      const again = await server.barkeep(['receive-wal', '--stop', 'pg']);
      assert.match(again.stdout, /No receive-wal running/);
      const drop = await server.barkeep(['receive-wal', '--drop-slot', 'pg']);
      assert.equal(drop.code, 0, drop.stderr);
      assert.equal(
        (
          await server.cluster.query(
            "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'barkeep'",
          )
        ).length,
        0,
      );
      const create = await server.barkeep(['receive-wal', '--create-slot', 'pg']);
      assert.equal(create.code, 0, create.stderr);
      assert.equal(
        (
          await server.cluster.query(
            "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'barkeep'",
          )
        ).length,
        1,
      );
    });

    it('--reset removes a .partial that is ahead of the server, after which streaming starts again', async () => {
      const ahead = join(server.layout.streaming, '0000000100000009000000FF.partial');
      writeFileSync(ahead, Buffer.alloc(8192));
      shareWithPostgres(ahead);
      const refused = await server.barkeep(['receive-wal', 'pg'], { timeoutMs: 20_000 });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /streamed WAL is ahead of the server .*receive-wal --reset pg/);
      const reset = await server.barkeep(['receive-wal', '--reset', 'pg']);
      assert.equal(reset.code, 0, reset.stderr);
      assert.equal(
        reset.stdout,
        'Removed 0000000100000009000000FF.partial: it is ahead of the server\n',
      );
      receiver = startReceiver(server);
      const name = await completeSegment(server);
      assertStreamedIdentical(server, name);
    });
  });
}
