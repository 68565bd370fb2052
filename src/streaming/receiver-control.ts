import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lockPath, serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { ReplicationConnection } from '../postgres/replication/replication-connection.ts';
import { fsyncDirectory } from '../storage/durable-write.ts';
import { isHeld, readLockHolder } from '../storage/process-lock.ts';
import { parseLsn } from '../wal/lsn.ts';
import { parseSegmentName } from '../wal/segment-name.ts';
import { segmentStartLsn } from '../wal/wal-segment.ts';
import { toWalSegmentSize } from '../wal/wal-segment-size.ts';
import { defaultReceiverName } from './receive-wal.ts';

/** The running receiver of a server, from its lock file; undefined when none runs. */
export async function runningReceiver(
  server: ServerConfig,
): Promise<{ pid: number; since: string } | undefined> {
  const holder = await readLockHolder(
    lockPath(serverLayout(server.name, server.settings), 'receive-wal'),
  );
  return holder && isHeld(holder) ? { pid: holder.pid, since: holder.acquiredAt } : undefined;
}

/**
 * `receive-wal --stop`: asks the running receiver to stop (SIGTERM: it sends CopyDone, flushes
 * and releases its lock) and waits until it has. Returns the PID stopped, or undefined when no
 * receiver was running.
 */
export async function stopReceiver(
  server: ServerConfig,
  timeoutMs = 30_000,
): Promise<number | undefined> {
  const receiver = await runningReceiver(server);
  if (!receiver) return undefined;
  process.kill(receiver.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await runningReceiver(server))) return receiver.pid;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new BarkeepError('operationFailed', {
    what: 'receiver did not stop',
    subject: String(receiver.pid),
    why: `process ${receiver.pid} still holds the receive-wal lock after ${timeoutMs / 1000} s`,
    hint: `Check what it is doing; kill -9 ${receiver.pid} is safe (nothing flushed is lost).`,
  });
}

async function withReplication<T>(
  server: ServerConfig,
  work: (connection: ReplicationConnection) => Promise<T>,
): Promise<T> {
  const conninfo = server.settings.streaming_conninfo ?? server.settings.conninfo;
  if (!conninfo) {
    throw new BarkeepError('configInvalidValue', {
      what: 'cannot reach the server',
      subject: server.name,
      why: 'neither streaming_conninfo nor conninfo is set',
    });
  }
  const connection = await ReplicationConnection.open(conninfo, {
    applicationName: server.settings.streaming_archiver_name ?? defaultReceiverName,
  });
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

function requireSlot(server: ServerConfig): string {
  const slot = server.settings.slot_name;
  if (!slot)
    throw new BarkeepError('configInvalidValue', {
      what: 'no replication slot configured',
      subject: server.name,
      why: 'slot_name is not set',
    });
  return slot;
}

/** `receive-wal --create-slot`: creates the physical slot named by slot_name (reserving WAL now). */
export async function createReceiverSlot(server: ServerConfig): Promise<string> {
  const slot = requireSlot(server);
  await withReplication(server, (connection) => connection.createSlot(slot));
  return slot;
}

/** `receive-wal --drop-slot`: drops the slot (refused by the server while a receiver uses it). */
export async function dropReceiverSlot(server: ServerConfig): Promise<string> {
  const slot = requireSlot(server);
  await withReplication(server, (connection) => connection.dropSlot(slot));
  return slot;
}

/**
 * `receive-wal --reset`: removes the `.partial` files of `streaming/` that no longer match the
 * server (they start beyond its current position on its timeline, or belong to a later timeline
 * than the server's), so that streaming can start again. Refused while a receiver runs.
 * Returns the removed file names.
 */
export async function resetStreaming(server: ServerConfig): Promise<string[]> {
  const running = await runningReceiver(server);
  if (running) {
    throw new BarkeepError('lockHeld', {
      what: 'cannot reset streaming',
      subject: server.name,
      why: `receiver ${running.pid} is running`,
      hint: `Stop it first: barkeep receive-wal --stop ${server.name}.`,
    });
  }
  const layout = serverLayout(server.name, server.settings);
  const { identity, segmentSize } = await withReplication(server, async (connection) => ({
    identity: await connection.identifySystem(),
    segmentSize: toWalSegmentSize(await connection.walSegmentSize()),
  }));
  const position = parseLsn(identity.xlogpos);
  let names: string[];
  try {
    names = await readdir(layout.streaming);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('cannot list streaming directory', layout.streaming, error);
  }
  const removed: string[] = [];
  for (const file of names.filter((name) => name.endsWith('.partial')).sort()) {
    let parsed: ReturnType<typeof parseSegmentName>;
    try {
      parsed = parseSegmentName(file.slice(0, 24), segmentSize);
    } catch {
      continue; // a name that cannot exist with this segment size is not streamed WAL
    }
    if (!parsed) continue;
    const ahead =
      parsed.timeline > identity.timeline ||
      (parsed.timeline === identity.timeline &&
        segmentStartLsn(parsed.segno, segmentSize) > position);
    if (!ahead) continue;
    await rm(join(layout.streaming, file));
    removed.push(file);
  }
  if (removed.length > 0) await fsyncDirectory(layout.streaming);
  return removed;
}
