import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ReplicationConnection } from '../../../src/postgres/replication/replication-connection.ts';
import {
  nowUs,
  type ReplicationMessage,
} from '../../../src/postgres/replication/replication-messages.ts';
import {
  type NextTimeline,
  ReplicationStream,
} from '../../../src/postgres/replication/replication-stream.ts';
import { INVALID_LSN, type Lsn, parseLsn } from '../../../src/wal/lsn.ts';
import { toTimelineId } from '../../../src/wal/timeline.ts';
import { smokeVersions, type ThrowawayCluster, useCluster } from '../../support/cluster.ts';
import { promoteCluster } from '../../support/promotion.ts';
import { waitFor } from '../../support/receiver.ts';

const SEGMENT = 16n * 1024n * 1024n;

/** A started stream and what it delivered (WAL bytes copied: pg reuses its buffer). */
interface Recorded {
  readonly connection: ReplicationConnection;
  readonly stream: ReplicationStream;
  readonly messages: ReplicationMessage[];
  readonly wal: Buffer[];
  readonly errors: Error[];
  /** Resolves with the next timeline when the stream ends. */
  readonly ended: Promise<NextTimeline | undefined>;
  /** End of the WAL received so far. */
  received(): bigint;
}

async function record(
  cluster: ThrowawayCluster,
  request: { start: Lsn; timeline?: number; slot?: string },
  applicationName = 'stream_test',
): Promise<Recorded> {
  const connection = await ReplicationConnection.open(cluster.conninfo(), { applicationName });
  const stream = connection.startReplication({
    start: request.start,
    timeline: toTimelineId(request.timeline ?? 1),
    slot: request.slot,
  });
  const messages: ReplicationMessage[] = [];
  const wal: Buffer[] = [];
  const errors: Error[] = [];
  let end = request.start as bigint;
  stream.on('message', (message) => {
    messages.push(message);
    if (message.kind === 'xlog-data') {
      if (message.walStart !== end) errors.push(new Error(`a gap before ${message.walStart}`));
      wal.push(Buffer.from(message.data));
      end = message.walStart + BigInt(message.data.length);
    }
  });
  stream.on('error', (error) => errors.push(error));
  const ended = new Promise<NextTimeline | undefined>((resolve) => stream.on('end', resolve));
  return { connection, stream, messages, wal, errors, ended, received: () => end };
}

async function currentFlush(cluster: ThrowawayCluster): Promise<{ lsn: Lsn; file: string }> {
  const [row] = await cluster.query<{ lsn: string; file: string }>(
    'SELECT pg_current_wal_flush_lsn()::text AS lsn, pg_walfile_name(pg_current_wal_flush_lsn()) AS file',
  );
  return { lsn: parseLsn(row!.lsn), file: row!.file };
}

for (const major of smokeVersions()) {
  describe(`ReplicationStream, PostgreSQL ${major}`, () => {
    const handle = useCluster({ major, label: 'repl-stream' });

    it("streams WAL from a segment start, byte-identical to the server's segment file", async () => {
      const { cluster } = handle;
      await cluster.query('CREATE TABLE t (n int, note text)');
      await cluster.query(
        "INSERT INTO t SELECT g, repeat('x', 50) FROM generate_series(1, 2000) g",
      );
      const flush = await currentFlush(cluster);
      const start = ((flush.lsn / SEGMENT) * SEGMENT) as Lsn;
      const recorded = await record(cluster, { start });
      try {
        await waitFor(() => recorded.received() >= flush.lsn, 'WAL up to the flush position');
        const streamed = Buffer.concat(recorded.wal);
        const original = readFileSync(join(cluster.dataDir, 'pg_wal', flush.file));
        assert.ok(streamed.length >= Number(flush.lsn - start));
        assert.ok(streamed.equals(original.subarray(0, streamed.length)));
        assert.deepEqual(recorded.errors, []);
      } finally {
        recorded.stream.finish();
        await recorded.ended;
        await recorded.connection.close();
      }
    });

    it('sends standby status updates the server shows, and answers a reply request', async () => {
      const { cluster } = handle;
      const flush = await currentFlush(cluster);
      const recorded = await record(cluster, { start: flush.lsn }, 'status_test');
      try {
        const keepalives = () => recorded.messages.filter((m) => m.kind === 'keepalive').length;
        const before = keepalives();
        recorded.stream.sendStatus({
          written: flush.lsn,
          flushed: flush.lsn,
          applied: INVALID_LSN,
          clockUs: nowUs(),
          replyRequested: true,
        });
        await waitFor(() => keepalives() > before, 'a keepalive in answer');
        await waitFor(async () => {
          const [row] = await cluster.query<{ write_lsn: string | null; flush_lsn: string | null }>(
            "SELECT write_lsn::text, flush_lsn::text FROM pg_stat_replication WHERE application_name = 'status_test'",
          );
          return (
            !!row?.write_lsn &&
            !!row.flush_lsn &&
            parseLsn(row.write_lsn) === flush.lsn &&
            parseLsn(row.flush_lsn) === flush.lsn
          );
        }, 'pg_stat_replication to show the reported positions');
      } finally {
        recorded.stream.finish();
        await recorded.ended;
        await recorded.connection.close();
      }
    });

    it('pause() stops delivery until resume()', async () => {
      const { cluster } = handle;
      const flush = await currentFlush(cluster);
      const recorded = await record(cluster, { start: flush.lsn });
      try {
        recorded.stream.pause();
        const count = recorded.messages.length;
        await cluster.query('INSERT INTO t VALUES (1)');
        const target = (await currentFlush(cluster)).lsn;
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(recorded.messages.length, count, 'nothing delivered while paused');
        recorded.stream.resume();
        await waitFor(() => recorded.received() >= target, 'the insert after resume()');
      } finally {
        recorded.stream.finish();
        await recorded.ended;
        await recorded.connection.close();
      }
    });

    it('finish() ends the stream cleanly and leaves the connection usable', async () => {
      const { cluster } = handle;
      const flush = await currentFlush(cluster);
      const recorded = await record(cluster, { start: flush.lsn });
      recorded.stream.finish();
      recorded.stream.finish();
      assert.equal(await recorded.ended, undefined, 'no next timeline');
      // Nothing is sent once the stream is over.
      recorded.stream.sendStatus({
        written: flush.lsn,
        flushed: flush.lsn,
        applied: INVALID_LSN,
        clockUs: nowUs(),
      });
      recorded.stream.finish();
      assert.equal((await recorded.connection.identifySystem()).timeline, 1);
      assert.deepEqual(recorded.errors, []);
      await recorded.connection.close();
    });

    it('emits the server error for a missing slot, then the connection is usable', async () => {
      const { cluster } = handle;
      const flush = await currentFlush(cluster);
      const recorded = await record(cluster, { start: flush.lsn, slot: 'no_such_slot' });
      let ended = false;
      void recorded.ended.then(() => {
        ended = true;
      });
      await waitFor(() => recorded.errors.length > 0, 'the error');
      assert.match(recorded.errors[0]!.message, /replication slot "no_such_slot" does not exist/);
      assert.equal((recorded.errors[0] as { code?: string }).code, '42704');
      assert.equal((await recorded.connection.identifySystem()).timeline, 1);
      assert.equal(ended, false, 'an error is not followed by an end');
      await recorded.connection.close();
    });

    it('emits an error for a CopyData payload that is not a replication message', () => {
      const stream = new ReplicationStream('START_REPLICATION PHYSICAL 0/0');
      const errors: Error[] = [];
      stream.on('error', (error) => errors.push(error));
      stream.handleCopyData({ chunk: Buffer.from('zzz') });
      assert.equal(errors[0]?.name, 'ReplicationMessageError');
      // Before pg submitted it, the stream has no connection: these do nothing.
      stream.pause();
      stream.resume();
      stream.finish();
      stream.sendStatus({
        written: INVALID_LSN,
        flushed: INVALID_LSN,
        applied: INVALID_LSN,
        clockUs: nowUs(),
      });
    });

    it('ends a timeline the server left with the next timeline and where it starts', async () => {
      const { cluster } = handle;
      const before = await currentFlush(cluster);
      await promoteCluster(cluster);
      await cluster.query('INSERT INTO t VALUES (2)');
      const history = readFileSync(join(cluster.dataDir, 'pg_wal', '00000002.history'), 'utf8');
      const switchPoint = parseLsn(history.split('\t')[1]!);
      const start = ((before.lsn / SEGMENT) * SEGMENT) as Lsn;
      const recorded = await record(cluster, { start, timeline: 1 });
      const next = await recorded.ended;
      assert.deepEqual(next, { timeline: toTimelineId(2), startLsn: switchPoint });
      assert.equal(recorded.received(), switchPoint, 'timeline 1 streamed up to the switch');
      assert.deepEqual(recorded.errors, []);
      // The server already ended the copy: a status update is not sent any more.
      recorded.stream.sendStatus({
        written: switchPoint,
        flushed: switchPoint,
        applied: INVALID_LSN,
        clockUs: nowUs(),
      });
      assert.equal((await recorded.connection.identifySystem()).timeline, 2);
      await recorded.connection.close();
    });

    it('reports an error when asked for a timeline the server does not have', async () => {
      const { cluster } = handle;
      const flush = await currentFlush(cluster);
      const recorded = await record(cluster, { start: flush.lsn, timeline: 7 });
      await waitFor(() => recorded.errors.length > 0, 'the error');
      assert.match(recorded.errors[0]!.message, /timeline 7/);
      await recorded.connection.close();
    });
  });
}
