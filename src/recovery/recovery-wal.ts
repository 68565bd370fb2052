import { lchown, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useWal, writeFoundWal } from '../archive/get-wal.ts';
import { listStoredWalFiles } from '../archive/xlog-db.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import type { ServerLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { forEachLimited } from '../storage/bounded-workers.ts';
import { parseTimelineHistory } from '../wal/timeline-history.ts';
import { isWalFormatError } from '../wal/wal-format-error.ts';
import type { FileOwner } from './copy-tree.ts';

/** The directory inside DEST that receives the WAL without get-wal (Barman's name). */
export const recoveryWalDirectory = 'barman_wal';

/** The WAL a recovery can use, found in the catalog. */
export interface AvailableWal {
  /** Segment names (any timeline) from the backup's begin_wal on, in the archive or streaming/, sorted. */
  readonly segments: readonly string[];
  /** History files. */
  readonly histories: readonly string[];
  /** The newest segment that exists only as a streaming `.partial`, if any. */
  readonly partial: string | undefined;
  /** The timelines from the backup's to the target's (PostgreSQL follows this path). */
  readonly timelines: ReadonlySet<number>;
}

/**
 * What WAL the catalog holds for recovering `info` to timeline `targetTimeline` (`latest`: the
 * newest timeline that descends from the backup's; a number; or `current`: the backup's; anything
 * else is a usage error, and a timeline that does not descend from the backup's is refused):
 * segments of the timelines on the way, from the backup's begin_wal on, in wals/ or completed in
 * streaming/; the history files; and the streaming `.partial` that holds the newest WAL.
 */
export async function availableWal(
  layout: ServerLayout,
  info: BackupInfo,
  targetTimeline: string | undefined,
): Promise<AvailableWal> {
  const stored = await listStoredWalFiles(layout);
  const streaming = await readdir(layout.streaming).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return [] as string[];
    throw ioError('cannot list streaming directory', layout.streaming, error);
  });
  const histories = [
    ...new Set(
      [...stored.map((file) => file.name), ...streaming].filter((name) =>
        /^[0-9A-F]{8}\.history$/.test(name),
      ),
    ),
  ].sort();
  const backupTimeline = info.timeline ?? 1;
  const timelines = await timelinePath(layout, histories, backupTimeline, targetTimeline);
  const begin = (info.begin_wal ?? '').slice(8);
  const onPath = (name: string) =>
    timelines.has(Number.parseInt(name.slice(0, 8), 16)) && name.slice(8) >= begin;
  const complete = new Set([
    ...stored.map((file) => file.name).filter((name) => /^[0-9A-F]{24}$/.test(name)),
    ...streaming.filter((name) => /^[0-9A-F]{24}$/.test(name)),
  ]);
  const segments = [...complete].filter(onPath).sort();
  const partials = streaming
    .filter((name) => /^[0-9A-F]{24}\.partial$/.test(name))
    .map((name) => name.slice(0, 24))
    .filter((name) => onPath(name) && !complete.has(name))
    .sort();
  return { segments, histories, partial: partials[partials.length - 1], timelines };
}

async function timelinePath(
  layout: ServerLayout,
  histories: readonly string[],
  backupTimeline: number,
  target: string | undefined,
): Promise<Set<number>> {
  let timeline = backupTimeline;
  if (target === undefined || target === 'latest') {
    // The newest timeline whose history passes through the backup's timeline.
    for (const name of [...histories].reverse()) {
      const candidate = Number.parseInt(name.slice(0, 8), 16);
      const ancestors = await ancestorsOf(layout, candidate);
      if (candidate === backupTimeline || ancestors.has(backupTimeline)) {
        timeline = Math.max(timeline, candidate);
        break;
      }
    }
  } else if (target !== 'current') {
    if (!/^\d+$/.test(target) || Number(target) < 1)
      throw new BarkeepError('usage', {
        what: 'invalid --target-tli',
        subject: target,
        why: "use a timeline number, 'current' or 'latest'",
      });
    timeline = Number(target);
  }
  const path = new Set([timeline, ...(await ancestorsOf(layout, timeline))]);
  if (!path.has(backupTimeline)) {
    throw new BarkeepError('operationFailed', {
      what: 'refused to recover',
      subject: `timeline ${timeline}`,
      why: `it does not descend from timeline ${backupTimeline} of the backup (as far as the archived history files tell)`,
      hint: 'Choose a backup taken on that timeline or one of its ancestors, or another --target-tli.',
    });
  }
  return path;
}

async function ancestorsOf(layout: ServerLayout, timeline: number): Promise<Set<number>> {
  if (timeline <= 1) return new Set();
  const name = `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;
  for (const path of [join(layout.wals, name), join(layout.streaming, name)]) {
    try {
      return new Set(
        parseTimelineHistory(await readFile(path, 'utf8')).map((entry) => entry.parent),
      );
    } catch (error) {
      if (isWalFormatError(error))
        throw new BarkeepError('operationFailed', {
          what: 'unreadable timeline history file',
          subject: path,
          why: error.message,
          hint: 'Restore the file from the server (pg_wal/) or remove it if it is not needed.',
        });
      if (errnoCode(error) !== 'ENOENT') throw ioError('cannot read timeline history', path, error);
    }
  }
  return new Set();
}

/** WAL files copied at once: the copies are I/O, and zstd decoding overlaps the writes. */
const WAL_COPY_WORKERS = 4;

/**
 * Copies the WAL a recovery needs into `DEST/barman_wal/`, decompressed, for a restore_command
 * that reads it from there (no get-wal): history files, the segments on the way to the target,
 * and the streaming `.partial` written under its segment's name, zero-padded, so the
 * transactions streamed after the last archived segment are replayed too. A file stored
 * uncompressed is copied by the kernel (copy_file_range, a reflink where the file system has
 * them); a few files are copied at once. The caller fsyncs the tree. Returns the count.
 */
export async function copyRecoveryWal(
  server: ServerConfig,
  wal: AvailableWal,
  destination: string,
  owner: FileOwner | undefined,
): Promise<number> {
  const directory = join(destination, recoveryWalDirectory);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  if (owner) await lchown(directory, owner.uid, owner.gid);
  const wanted: [string, boolean][] = [
    ...[...wal.histories, ...wal.segments].map((name): [string, boolean] => [name, false]),
    ...(wal.partial ? [[wal.partial, true] as [string, boolean]] : []),
  ];
  await forEachLimited(wanted, WAL_COPY_WORKERS, async ([name, partial]) => {
    const target = join(directory, name);
    await useWal(server, name, { partial }, async (found) => {
      try {
        await writeFoundWal(found, target);
      } catch (error) {
        if (isBarkeepError(error)) throw error;
        throw ioError('cannot copy WAL for recovery', target, error);
      }
    });
    if (owner) await lchown(target, owner.uid, owner.gid);
  });
  return wanted.length;
}
