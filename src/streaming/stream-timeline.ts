import type { ReplicationConnection } from '../postgres/replication/replication-connection.ts';
import { nowUs } from '../postgres/replication/replication-messages.ts';
import type { NextTimeline } from '../postgres/replication/replication-stream.ts';
import { INVALID_LSN, type Lsn } from '../wal/lsn.ts';
import type { TimelineId } from '../wal/timeline.ts';
import type { SegmentWriter } from './segment-writer.ts';

/** What streaming one timeline needs from its session. */
export interface TimelineStreamOptions {
  readonly slotName: string | undefined;
  /** Aborting ends the stream cleanly: CopyDone, last flush, last status update. */
  readonly signal: AbortSignal;
  /** Told each time the flush position advances. */
  readonly onFlush?: ((flushed: Lsn, timeline: TimelineId) => void) | undefined;
}

/** How often a status update is sent when nothing else prompts one (wal_receiver_status_interval). */
const STATUS_INTERVAL_MS = 10_000;
/** Bytes received but not yet written above which reading from the server pauses. */
const HIGH_WATER = 8 * 1024 * 1024;
const LOW_WATER = 2 * 1024 * 1024;

/**
 * Streams one timeline from `start` into the writer until the server ends the timeline (resolves
 * with where the next one starts), the signal stops it (resolves undefined) or the connection
 * fails (rejects). The flush position reported to the server is always one that was fsynced.
 *
 * The common case under commit load, small messages inside the open `.partial`, costs what
 * pg_receivewal --synchronous pays: the messages of one socket read are written with one system
 * call while still views into the receive buffer, then fsynced and reported at once. Whatever
 * needs a file opened, completed or renamed goes through an ordered queue of asynchronous
 * writes instead (copied, since the receive buffer is reused), with backpressure on the socket.
 */
export function streamTimeline(
  connection: ReplicationConnection,
  writer: SegmentWriter,
  start: { timeline: TimelineId; lsn: Lsn },
  options: TimelineStreamOptions,
): Promise<NextTimeline | undefined> {
  return new Promise((resolve, reject) => {
    const timeline = start.timeline;
    const stream = connection.startReplication({
      slot: options.slotName,
      start: start.lsn,
      timeline,
    });
    let written = start.lsn;
    let flushed = start.lsn;
    let chain = Promise.resolve();
    let queued = 0;
    /** Writes waiting in `chain`: while any is, later bytes queue behind it, in order. */
    let pending = 0;
    let paused = false;
    let flushing = false;
    let flushScheduled = false;
    let failure: Error | undefined;
    /** WAL of the current socket read, contiguous from `runStart`, not yet written. */
    const run: Buffer[] = [];
    let runStart = start.lsn;
    let runLength = 0;
    const status = (replyRequested = false) =>
      stream.sendStatus({
        written,
        flushed,
        applied: INVALID_LSN,
        clockUs: nowUs(),
        replyRequested,
      });
    const fail = (error: unknown) => {
      failure ??= error as Error;
      stream.finish();
    };
    const markFlushed = (target: Lsn) => {
      flushed = target;
      status();
      options.onFlush?.(flushed, timeline);
    };
    const flush = async (): Promise<void> => {
      if (flushing || flushed >= written || failure) return;
      flushing = true;
      try {
        const target = written;
        await writer.flush();
        markFlushed(target);
      } catch (error) {
        fail(error);
      } finally {
        flushing = false;
      }
      if (flushed < written) scheduleFlush();
    };
    const scheduleFlush = () => {
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(() => {
        flushScheduled = false;
        void flush();
      });
    };
    /** Writes the pending run while its views are valid (before the next socket read is parsed). */
    const writeRun = (): void => {
      if (run.length === 0) return;
      try {
        if (!failure) writer.writeNow(timeline, runStart, run, runLength);
        written = (runStart + BigInt(runLength)) as Lsn;
      } catch (error) {
        fail(error);
      }
      run.length = 0;
      runLength = 0;
    };
    // One socket read parsed: write what it carried, then fsync and report it at once.
    stream.on('readEnd', () => {
      writeRun();
      if (flushed >= written || failure) return;
      if (flushing || pending > 0) return scheduleFlush();
      try {
        if (writer.flushNow()) markFlushed(written);
        else scheduleFlush();
      } catch (error) {
        fail(error);
      }
    });
    stream.on('message', (message) => {
      if (message.kind === 'keepalive') {
        if (message.replyRequested) status();
        return;
      }
      const at = message.walStart;
      const data = message.data;
      if (failure) return;
      if (pending === 0) {
        const runEnd = (runStart + BigInt(runLength)) as Lsn;
        if (run.length > 0 && at === runEnd) {
          if (writer.fitsOpenSegment(timeline, runStart, runLength + data.length)) {
            run.push(data);
            runLength += data.length;
            return;
          }
        }
        writeRun();
        if (!failure && writer.fitsOpenSegment(timeline, at, data.length)) {
          run.push(data);
          runStart = at;
          runLength = data.length;
          return;
        }
      }
      const copy = Buffer.from(data); // pg reuses its receive buffer
      pending += 1;
      queued += copy.length;
      if (!paused && queued > HIGH_WATER) {
        paused = true;
        stream.pause();
      }
      chain = chain
        .then(async () => {
          if (failure) return;
          await writer.write(timeline, at, copy);
          written = (at + BigInt(copy.length)) as Lsn;
          queued -= copy.length;
          if (paused && queued < LOW_WATER) {
            paused = false;
            stream.resume();
          }
          scheduleFlush();
        })
        .catch(fail)
        .finally(() => {
          pending -= 1;
        });
    });
    const timer = setInterval(() => status(), STATUS_INTERVAL_MS);
    const onAbort = () => stream.finish();
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) onAbort();
    const settle = async (error: Error | undefined, next?: NextTimeline) => {
      writeRun(); // synchronously: the run's views belong to the read being parsed
      clearInterval(timer);
      options.signal.removeEventListener('abort', onAbort);
      await chain;
      try {
        await writer.flush();
        flushed = written;
      } catch (flushError) {
        failure ??= flushError as Error;
      }
      const problem = failure ?? error;
      if (problem) reject(problem);
      else resolve(next);
    };
    stream.on('end', (next) => void settle(undefined, next));
    stream.on('error', (error) => void settle(error));
  });
}
