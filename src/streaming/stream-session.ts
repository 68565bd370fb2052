import { join } from 'node:path';
import type { ServerLayout } from '../catalog/server-layout.ts';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { ReplicationConnection } from '../postgres/replication/replication-connection.ts';
import { createFileDurable } from '../storage/durable-write.ts';
import { formatLsn, INVALID_LSN, type Lsn, parseLsn } from '../wal/lsn.ts';
import { formatTimelineId, type TimelineId, toTimelineId } from '../wal/timeline.ts';
import { toWalSegmentSize, type WalSegmentSize } from '../wal/wal-segment-size.ts';
import { SegmentWriter, segmentStartOf } from './segment-writer.ts';
import { streamTimeline } from './stream-timeline.ts';
import { findStreamingStart, type StreamingStart } from './streaming-start.ts';

/** What one streaming session needs. */
export interface SessionOptions {
  readonly layout: ServerLayout;
  readonly conninfo: string;
  readonly applicationName: string;
  readonly slotName: string | undefined;
  readonly createSlot: 'auto' | 'manual';
  readonly systemIdentifier: string;
  readonly logger: Logger;
  /** Aborting ends the session cleanly: CopyDone, last flush, last status update. */
  readonly signal: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  /** Told each time the flush position advances (for tests and `serve`). */
  readonly onFlush?: (flushed: Lsn, timeline: TimelineId) => void;
}

/**
 * One connection's worth of streaming: identify the server (it must be the catalog's cluster),
 * make sure of the slot, decide where to resume, then stream into `streaming/` through the
 * timelines until stopped or disconnected. The flush position reported to the server is always
 * one that was fsynced. Returns when stopped; throws on a lost connection (the caller
 * reconnects) or a fatal problem (BarkeepError the caller reports).
 */
export async function runStreamSession(options: SessionOptions): Promise<void> {
  const { logger } = options;
  const connection = await ReplicationConnection.open(options.conninfo, {
    applicationName: options.applicationName,
    ...(options.env ? { env: options.env } : {}),
  });
  let writer: SegmentWriter | undefined;
  try {
    const identity = await connection.identifySystem();
    if (identity.systemIdentifier !== options.systemIdentifier) {
      throw new BarkeepError('systemIdMismatch', {
        what: 'refused to stream',
        subject: options.layout.server,
        why: `streaming_conninfo reaches system ${identity.systemIdentifier}, the catalog belongs to ${options.systemIdentifier}`,
      });
    }
    const segmentSize = toWalSegmentSize(await connection.walSegmentSize());
    const version = await connection.serverVersionNum();
    const serverPosition = parseLsn(identity.xlogpos);
    const serverTimeline = toTimelineId(identity.timeline);
    await ensureSlot(connection, options, version);
    let start = await resumePosition(
      connection,
      options,
      segmentSize,
      version,
      serverPosition,
      serverTimeline,
    );
    writer = new SegmentWriter(options.layout.streaming, segmentSize, logger);
    for (;;) {
      if (start.timeline > 1)
        await storeHistory(connection, options.layout, start.timeline, logger);
      logger.info(`streaming from ${formatLsn(start.lsn)} on timeline ${start.timeline}`);
      const next = await streamTimeline(connection, writer, start, options);
      if (!next || options.signal.aborted) return;
      await writer.close();
      logger.info(
        `timeline ${start.timeline} ended; following timeline ${next.timeline} from ${formatLsn(next.startLsn)}`,
      );
      start = { timeline: next.timeline, lsn: next.startLsn };
    }
  } finally {
    await writer
      ?.close()
      .catch((error: unknown) =>
        logger.error(`cannot close the streamed segment: ${(error as Error).message}`),
      );
    await connection.close();
  }
}

async function ensureSlot(
  connection: ReplicationConnection,
  options: SessionOptions,
  version: number,
): Promise<void> {
  const slot = options.slotName;
  if (!slot) return;
  const position = await connection.readSlot(slot, version);
  if (position !== undefined || version < 150000) {
    if (version < 150000 && options.createSlot === 'auto')
      await createSlotIfMissing(connection, slot, options.logger);
    return;
  }
  if (options.createSlot !== 'auto') {
    throw new BarkeepError('operationFailed', {
      what: 'replication slot missing',
      subject: slot,
      why: 'the slot does not exist on the server and create_slot is manual',
      hint: `Run 'barkeep receive-wal --create-slot ${options.layout.server}', or set create_slot = auto.`,
    });
  }
  await createSlotIfMissing(connection, slot, options.logger);
}

async function createSlotIfMissing(
  connection: ReplicationConnection,
  slot: string,
  logger: Logger,
): Promise<void> {
  try {
    await connection.createSlot(slot);
    logger.info(`created replication slot ${slot}`);
  } catch (error) {
    // 42710: the slot exists already (PostgreSQL 14 cannot be asked beforehand).
    if (!(isBarkeepError(error, 'postgresQuery') && error.why.includes('42710'))) throw error;
  }
}

async function resumePosition(
  connection: ReplicationConnection,
  options: SessionOptions,
  segmentSize: WalSegmentSize,
  version: number,
  serverPosition: Lsn,
  serverTimeline: TimelineId,
): Promise<{ timeline: TimelineId; lsn: Lsn }> {
  const local: StreamingStart | undefined = await findStreamingStart(
    options.layout.streaming,
    segmentSize,
  );
  if (local) {
    if (
      local.timeline === serverTimeline &&
      local.lsn > segmentStartOf(serverPosition, segmentSize)
    ) {
      throw new BarkeepError('operationFailed', {
        what: 'streamed WAL is ahead of the server',
        subject: join(options.layout.streaming, local.file),
        why: `it starts at ${formatLsn(local.lsn)} but the server is at ${formatLsn(serverPosition)} (a restored or different cluster?)`,
        hint: `Run 'barkeep receive-wal --reset ${options.layout.server}' to drop what no longer matches.`,
      });
    }
    return local;
  }
  const slot = options.slotName ? await connection.readSlot(options.slotName, version) : undefined;
  if (slot?.restartLsn !== undefined && slot.restartLsn !== INVALID_LSN) {
    return {
      timeline: slot.restartTimeline ?? serverTimeline,
      lsn: segmentStartOf(slot.restartLsn, segmentSize),
    };
  }
  return { timeline: serverTimeline, lsn: segmentStartOf(serverPosition, segmentSize) };
}

async function storeHistory(
  connection: ReplicationConnection,
  layout: ServerLayout,
  timeline: TimelineId,
  logger: Logger,
): Promise<void> {
  const history = await connection.timelineHistory(timeline);
  const name = `${formatTimelineId(timeline)}.history`;
  if ((await createFileDurable(join(layout.streaming, name), history.content)) === 'created') {
    logger.info(`stored ${name}`);
  }
}
