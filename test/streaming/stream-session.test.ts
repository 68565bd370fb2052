import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ensureServerLayout,
  type ServerLayout,
  serverLayout,
} from '../../src/catalog/server-layout.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { walBytesInPartial } from '../../src/streaming/partial-extent.ts';
import { isRetryable } from '../../src/streaming/receive-wal.ts';
import { runStreamSession, type SessionOptions } from '../../src/streaming/stream-session.ts';
import { formatLsn, type Lsn, parseLsn } from '../../src/wal/lsn.ts';
import { parseSegmentName } from '../../src/wal/segment-name.ts';
import type { TimelineId } from '../../src/wal/timeline.ts';
import { segmentStartLsn } from '../../src/wal/wal-segment.ts';
import { toWalSegmentSize } from '../../src/wal/wal-segment-size.ts';
import { smokeVersions, type ThrowawayCluster, useCluster } from '../support/cluster.ts';
import { restartAsStandby } from '../support/promotion.ts';
import { waitFor } from '../support/receiver.ts';
import { type LoggedLine, recordingLogger } from '../support/recording-logger.ts';

const MiB = 1024 * 1024;
const oneMiB = toWalSegmentSize(MiB);

let root: string;
let counter = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'barkeep-stream-session-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh catalog for server `pg`, with its directories. */
async function freshLayout(): Promise<ServerLayout> {
  const layout = serverLayout('pg', { barman_home: join(root, String(++counter)) });
  await ensureServerLayout(layout);
  return layout;
}

/** A session running in the background and what it reported. */
interface RunningSession {
  readonly layout: ServerLayout;
  readonly lines: LoggedLine[];
  readonly flushes: { lsn: Lsn; timeline: TimelineId }[];
  /** Resolves when the session ends: undefined when it returned, the error when it threw. */
  readonly outcome: Promise<unknown>;
  readonly ended: () => boolean;
  /** Aborts and waits for the end; returns the outcome. */
  stop(): Promise<unknown>;
  flushedUpTo(): Lsn | undefined;
}

function startSession(
  cluster: ThrowawayCluster,
  base: Pick<SessionOptions, 'layout' | 'systemIdentifier'> & Partial<SessionOptions>,
): RunningSession {
  const controller = new AbortController();
  const { logger, lines } = recordingLogger();
  const flushes: { lsn: Lsn; timeline: TimelineId }[] = [];
  let ended = false;
  const outcome = runStreamSession({
    conninfo: cluster.conninfo(),
    applicationName: 'session_test',
    slotName: undefined,
    createSlot: 'manual',
    logger,
    signal: controller.signal,
    onFlush: (lsn, timeline) => flushes.push({ lsn, timeline }),
    ...base,
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  void outcome.then(() => {
    ended = true;
  });
  return {
    layout: base.layout,
    lines,
    flushes,
    outcome,
    ended: () => ended,
    stop: async () => {
      controller.abort();
      return outcome;
    },
    flushedUpTo: () => flushes.at(-1)?.lsn,
  };
}

async function serverPosition(cluster: ThrowawayCluster): Promise<{ lsn: Lsn; file: string }> {
  const [row] = await cluster.query<{ lsn: string; file: string }>(
    'SELECT pg_current_wal_insert_lsn()::text AS lsn, pg_walfile_name(pg_current_wal_insert_lsn()) AS file',
  );
  return { lsn: parseLsn(row!.lsn), file: row!.file };
}

/** Switches to a new segment and waits until the session completed the old one. */
async function completeSegment(
  cluster: ThrowawayCluster,
  session: RunningSession,
): Promise<string> {
  const { file } = await serverPosition(cluster);
  await cluster.query('SELECT pg_switch_wal()');
  await cluster.query('INSERT INTO t VALUES (0)');
  await waitFor(
    () => existsSync(join(session.layout.streaming, file)) || session.ended(),
    `${file} streamed`,
  );
  assert.equal(session.ended(), false, JSON.stringify(session.lines));
  return file;
}

function assertIdentical(cluster: ThrowawayCluster, layout: ServerLayout, name: string): void {
  const streamed = readFileSync(join(layout.streaming, name));
  const original = readFileSync(join(cluster.dataDir, 'pg_wal', name));
  assert.equal(streamed.length, MiB);
  assert.ok(streamed.equals(original), `${name} is byte-identical to the server's`);
}

const segmentStart = (lsn: Lsn) => ((lsn / BigInt(MiB)) * BigInt(MiB)) as Lsn;

for (const major of smokeVersions()) {
  describe(`runStreamSession, PostgreSQL ${major}`, () => {
    const handle = useCluster({
      major,
      label: 'session',
      initdbArgs: ['--wal-segsize=1'],
      settings: { wal_keep_size: '256MB', max_replication_slots: 4 },
    });
    let systemIdentifier: string;
    let streamedLayout: ServerLayout;

    before(async () => {
      const [row] = await handle.cluster.query<{ id: string }>(
        'SELECT system_identifier::text AS id FROM pg_control_system()',
      );
      systemIdentifier = row!.id;
      await handle.cluster.query('CREATE TABLE t (n int, note text)');
    });

    it('streams into streaming/, reports flushes, completes identical segments, stops on abort', async () => {
      const { cluster } = handle;
      const layout = await freshLayout();
      streamedLayout = layout;
      const start = await serverPosition(cluster);
      const session = startSession(cluster, { layout, systemIdentifier });
      await waitFor(() => session.flushes.length > 0 || session.ended(), 'a first flush');
      assert.match(
        session.lines.map((line) => line.message).join('\n'),
        new RegExp(`streaming from ${formatLsn(segmentStart(start.lsn))} on timeline 1`),
      );
      await cluster.query(
        "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g",
      );
      const target = (await serverPosition(cluster)).lsn;
      await waitFor(() => (session.flushedUpTo() ?? 0n) >= target, 'the flush to pass the insert');
      const name = await completeSegment(cluster, session);
      assertIdentical(cluster, layout, name);
      const lsns = session.flushes.map((flush) => flush.lsn);
      assert.deepEqual(
        lsns,
        [...lsns].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      assert.ok(session.flushes.every((flush) => flush.timeline === 1));
      await waitFor(async () => {
        const [row] = await cluster.query<{ flush_lsn: string | null }>(
          "SELECT flush_lsn::text FROM pg_stat_replication WHERE application_name = 'session_test'",
        );
        return !!row?.flush_lsn && parseLsn(row.flush_lsn) >= target;
      }, 'the server to see the flush position');
      assert.equal(await session.stop(), undefined);
      const partials = readdirSync(layout.streaming).filter((file) => file.endsWith('.partial'));
      assert.equal(partials.length, 1);
      await waitFor(async () => {
        const rows = await cluster.query(
          "SELECT 1 FROM pg_stat_replication WHERE application_name = 'session_test'",
        );
        return rows.length === 0;
      }, 'the walsender to go away');
    });

    it('resumes from the newest .partial, streaming its segment again from the start', async () => {
      const { cluster } = handle;
      const partial = readdirSync(streamedLayout.streaming).find((file) =>
        file.endsWith('.partial'),
      )!;
      await cluster.query('INSERT INTO t VALUES (1)');
      const session = startSession(cluster, { layout: streamedLayout, systemIdentifier });
      await waitFor(() => session.flushes.length > 0 || session.ended(), 'a flush');
      const { segno } = parseSegmentName(partial.slice(0, 24), oneMiB)!;
      const expected = segmentStartLsn(segno, oneMiB);
      assert.ok(
        session.lines.some(
          (line) => line.message === `streaming from ${formatLsn(expected)} on timeline 1`,
        ),
        JSON.stringify(session.lines),
      );
      assert.equal(await session.stop(), undefined);
      // Rewritten in place: the same bytes as the server's segment, as far as they go.
      const rewritten = readFileSync(join(streamedLayout.streaming, partial));
      const original = readFileSync(join(cluster.dataDir, 'pg_wal', partial.slice(0, 24)));
      const held = await walBytesInPartial(join(streamedLayout.streaming, partial));
      assert.ok(held > 0);
      assert.ok(rewritten.subarray(0, held).equals(original.subarray(0, held)));
    });

    it('returns at once when the signal is already aborted', async () => {
      const { cluster } = handle;
      const controller = new AbortController();
      controller.abort();
      const layout = await freshLayout();
      await runStreamSession({
        layout,
        conninfo: cluster.conninfo(),
        applicationName: 'session_test',
        slotName: undefined,
        createSlot: 'manual',
        systemIdentifier,
        logger: recordingLogger().logger,
        signal: controller.signal,
        env: process.env,
      });
    });

    it("refuses a server whose system identifier is not the catalog's", async () => {
      const { cluster } = handle;
      const layout = await freshLayout();
      const session = startSession(cluster, { layout, systemIdentifier: '1234567890' });
      const error = await session.outcome;
      assert.ok(isBarkeepError(error, 'systemIdMismatch'), String(error));
      assert.equal(error.subject, 'pg');
      assert.match(
        error.why,
        new RegExp(`reaches system ${systemIdentifier}, the catalog belongs to 1234567890`),
      );
      assert.equal(isRetryable(error), false);
      assert.deepEqual(readdirSync(layout.streaming), []);
    });

    it('refuses a missing slot when create_slot is manual', async () => {
      const { cluster } = handle;
      const layout = await freshLayout();
      const session = startSession(cluster, { layout, systemIdentifier, slotName: 'not_created' });
      const error = await session.outcome;
      if (major >= 15) {
        assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
        assert.equal(error.what, 'replication slot missing');
        assert.equal(error.subject, 'not_created');
        assert.equal(
          error.hint,
          "Run 'barkeep receive-wal --create-slot pg', or set create_slot = auto.",
        );
      } else {
        // PostgreSQL 14 cannot be asked beforehand: START_REPLICATION refuses the slot.
        assert.equal((error as { code?: string }).code, '42704');
      }
      assert.equal(isRetryable(error), false);
    });

    it('creates the slot when create_slot is auto and streams through it', async () => {
      const { cluster } = handle;
      const layout = await freshLayout();
      const session = startSession(cluster, {
        layout,
        systemIdentifier,
        slotName: 'session_slot',
        createSlot: 'auto',
      });
      await waitFor(() => session.flushes.length > 0 || session.ended(), 'a flush');
      assert.ok(
        session.lines.some((line) => line.message === 'created replication slot session_slot'),
        JSON.stringify(session.lines),
      );
      const [slot] = await cluster.query<{ active: boolean }>(
        "SELECT active FROM pg_replication_slots WHERE slot_name = 'session_slot'",
      );
      assert.equal(slot?.active, true);
      assert.equal(await session.stop(), undefined);
      // Again with the slot in place: used as it is.
      const again = startSession(cluster, {
        layout,
        systemIdentifier,
        slotName: 'session_slot',
        createSlot: 'auto',
      });
      await waitFor(() => again.flushes.length > 0 || again.ended(), 'a flush');
      assert.equal(await again.stop(), undefined);
      assert.ok(!again.lines.some((line) => line.message.startsWith('created replication slot')));
    });

    it('reports a slot it cannot create, without retrying', async () => {
      const { cluster } = handle;
      const fillers: string[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          await cluster.query(`SELECT pg_create_physical_replication_slot('filler_${i}')`);
          fillers.push(`filler_${i}`);
        }
      } catch {
        // max_replication_slots reached: every slot is in use now.
      }
      try {
        const layout = await freshLayout();
        const session = startSession(cluster, {
          layout,
          systemIdentifier,
          slotName: 'one_too_many',
          createSlot: 'auto',
        });
        const error = await session.outcome;
        assert.ok(isBarkeepError(error, 'postgresQuery'), String(error));
        assert.match(error.why, /53400/);
        assert.equal(isRetryable(error), false);
      } finally {
        for (const slot of fillers)
          await cluster.query(`SELECT pg_drop_replication_slot('${slot}')`);
      }
    });

    it("answers the server's reply requests, so a short wal_sender_timeout does not end it", async () => {
      const { cluster } = handle;
      await cluster.query("ALTER SYSTEM SET wal_sender_timeout = '1s'");
      await cluster.query('SELECT pg_reload_conf()');
      try {
        const layout = await freshLayout();
        const session = startSession(cluster, { layout, systemIdentifier });
        await waitFor(() => session.flushes.length > 0 || session.ended(), 'a flush');
        const replyTime = async () => {
          const [row] = await cluster.query<{ reply_time: Date | null }>(
            "SELECT reply_time FROM pg_stat_replication WHERE application_name = 'session_test'",
          );
          return row?.reply_time?.getTime() ?? 0;
        };
        const first = await replyTime();
        // Idle for two timeouts: only answers to the server's requests keep it alive (status
        // updates of its own go out every 10 s).
        await new Promise((resolve) => setTimeout(resolve, 2000));
        assert.equal(session.ended(), false, JSON.stringify(session.lines));
        assert.ok((await replyTime()) > first, 'the receiver replied meanwhile');
        assert.equal(await session.stop(), undefined);
      } finally {
        await cluster.query('ALTER SYSTEM RESET wal_sender_timeout');
        await cluster.query('SELECT pg_reload_conf()');
      }
    });

    it("starts from the slot's restart position when streaming/ is empty, through a burst of WAL", async () => {
      const { cluster } = handle;
      const [slot] = await cluster.query<{ restart_lsn: string }>(
        "SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = 'session_slot'",
      );
      const restart = parseLsn(slot!.restart_lsn);
      // About 20 MiB of WAL the slot keeps: streamed in one burst, faster than it is written.
      await cluster.query(
        'INSERT INTO t SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, 20000) g',
      );
      const target = (await serverPosition(cluster)).lsn;
      assert.ok(target - restart > 12n * BigInt(MiB));
      const layout = await freshLayout();
      const session = startSession(cluster, {
        layout,
        systemIdentifier,
        slotName: 'session_slot',
        createSlot: 'manual',
      });
      await waitFor(
        () => (session.flushedUpTo() ?? 0n) >= target || session.ended(),
        'the burst to be flushed',
        60_000,
      );
      // PostgreSQL 14 cannot tell a replication connection where the slot stands: streaming
      // starts at the server's position, as pg_receivewal's does there.
      const from = major >= 15 ? segmentStart(restart) : segmentStart(target);
      assert.ok(
        session.lines.some(
          (line) => line.message === `streaming from ${formatLsn(from)} on timeline 1`,
        ),
        JSON.stringify(session.lines),
      );
      assert.equal(await session.stop(), undefined);
      const complete = readdirSync(layout.streaming).filter((file) => file.length === 24);
      if (major >= 15) assert.ok(complete.length >= 12, `${complete.length} complete segments`);
      for (const name of complete) assertIdentical(cluster, layout, name);
    });

    it('refuses WAL on disk that is ahead of the server', async () => {
      const { cluster } = handle;
      const layout = await freshLayout();
      // Segment 0x1000 (LSN 1/0) with 1 MiB segments: far beyond this young cluster.
      const ahead = '000000010000000100000000.partial';
      await writeFile(join(layout.streaming, ahead), '');
      const session = startSession(cluster, { layout, systemIdentifier });
      const error = await session.outcome;
      assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
      assert.equal(error.what, 'streamed WAL is ahead of the server');
      assert.equal(error.subject, join(layout.streaming, ahead));
      assert.match(error.why, /^it starts at 1\/0 but the server is at /);
      assert.equal(
        error.hint,
        "Run 'barkeep receive-wal --reset pg' to drop what no longer matches.",
      );
    });

    it('fails with the write error when streamed WAL cannot be stored', async () => {
      const { cluster } = handle;
      const layout = await freshLayout();
      const { file } = await serverPosition(cluster);
      // A directory where the segment's .partial must be written.
      await mkdir(join(layout.streaming, `${file}.partial`));
      const session = startSession(cluster, { layout, systemIdentifier });
      const error = await session.outcome;
      assert.ok(isBarkeepError(error, 'io'), String(error));
      assert.equal(error.what, 'cannot open streamed WAL');
      assert.equal(isRetryable(error), false);
    });

    it('throws a retryable error when the walsender is terminated', async () => {
      const { cluster } = handle;
      const layout = await freshLayout();
      const session = startSession(cluster, { layout, systemIdentifier });
      await waitFor(() => session.flushes.length > 0 || session.ended(), 'a flush');
      await cluster.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = 'session_test'",
      );
      const error = await session.outcome;
      assert.ok(error instanceof Error, String(error));
      assert.equal(isRetryable(error), true, String(error));
      // What was flushed stays: the .partial is there to resume from.
      assert.equal(readdirSync(layout.streaming).filter((f) => f.endsWith('.partial')).length, 1);
    });

    it('follows a promotion: stores the history and streams the new timeline', async () => {
      const { cluster } = handle;
      const layout = await freshLayout();
      const first = startSession(cluster, { layout, systemIdentifier });
      await waitFor(() => first.flushes.length > 0 || first.ended(), 'a flush');
      await restartAsStandby(cluster);
      assert.equal(isRetryable(await first.outcome), true);
      const session = startSession(cluster, { layout, systemIdentifier });
      await waitFor(
        () => session.flushes.length > 0 || session.ended(),
        'a flush from the standby',
      );
      await cluster.query('SELECT pg_promote(true, 60)');
      await waitFor(
        () => existsSync(join(layout.streaming, '00000002.history')) || session.ended(),
        '00000002.history',
      );
      assert.ok(
        readFileSync(join(layout.streaming, '00000002.history')).equals(
          readFileSync(join(cluster.dataDir, 'pg_wal', '00000002.history')),
        ),
      );
      const name = await completeSegment(cluster, session);
      assert.match(name, /^00000002/);
      assertIdentical(cluster, layout, name);
      assert.ok(session.flushes.some((flush) => flush.timeline === 2));
      const messages = session.lines.map((line) => line.message);
      assert.ok(messages.includes('stored 00000002.history'), JSON.stringify(messages));
      assert.ok(
        messages.some((message) => /^timeline 1 ended; following timeline 2 from /.test(message)),
      );
      assert.equal(await session.stop(), undefined);

      // A later session resumes on timeline 2; the history is already there.
      const resumed = startSession(cluster, { layout, systemIdentifier });
      await waitFor(() => resumed.flushes.length > 0 || resumed.ended(), 'a flush on timeline 2');
      assert.equal(await resumed.stop(), undefined);
      assert.ok(resumed.lines.some((line) => /on timeline 2$/.test(line.message)));
      assert.ok(!resumed.lines.some((line) => line.message.startsWith('stored ')));
    });
  });
}
