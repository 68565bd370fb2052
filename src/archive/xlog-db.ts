import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lockPath, type ServerLayout } from '../catalog/server-layout.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { acquireLock, type HeldLock } from '../storage/process-lock.ts';

/** One line of `wals/xlog.db`: Barman's index of archived WAL files. */
export interface XlogDbEntry {
  /** The WAL file name (segment, `.partial`, `.backup` or `.history`). */
  readonly name: string;
  /** Size in bytes of the file as stored in `wals/` (compressed when compressed). */
  readonly size: number;
  /** Seconds since the epoch (fractional), the time the file was archived. */
  readonly time: number;
  /** `gzip`, `zstd`, `lz4`, or undefined (Barman writes `None`). */
  readonly compression: string | undefined;
}

/** Barman's line format: `name<TAB>size<TAB>time<TAB>compression`, `None` for no compression. */
export function formatXlogDbLine(entry: XlogDbEntry): string {
  return `${entry.name}\t${entry.size}\t${entry.time}\t${entry.compression ?? 'None'}\n`;
}

/**
 * Parses one xlog.db line; undefined for a blank or malformed line. Like Barman it accepts 3
 * fields (no compression), 4, and 5 (Barman 3.14+ adds encryption, which barkeep ignores).
 */
export function parseXlogDbLine(line: string): XlogDbEntry | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 3 || fields.length > 5) return undefined;
  const [name, size, time, compression = 'None'] = fields as [string, string, string, string?];
  if (!/^\d+$/.test(size) || Number.isNaN(Number(time))) return undefined;
  return {
    name,
    size: Number(size),
    time: Number(time),
    compression: compression === 'None' ? undefined : compression,
  };
}

/**
 * Takes the server's xlogdb lock, waiting while another writer holds it (as Barman's writers
 * wait for theirs): it guards appends of a few bytes, so it is normally free again within
 * milliseconds. Only after `waitMs` does the `lockHeld` error stand.
 */
export async function acquireXlogDbLock(layout: ServerLayout, waitMs = 60_000): Promise<HeldLock> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await acquireLock(lockPath(layout, 'xlogdb'), 'xlogdb');
    } catch (error) {
      if (!isBarkeepError(error, 'lockHeld') || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
}

/**
 * Appends entries to xlog.db under the server's xlogdb lock, then fsyncs it. The lock keeps
 * lines of concurrent writers (put-wal from the archiver, archive-wal from cron) whole; appends
 * of a few bytes are cheap, so the lock is held for milliseconds and a second writer waits.
 */
export async function appendXlogDb(
  layout: ServerLayout,
  entries: readonly XlogDbEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  const lock = await acquireXlogDbLock(layout);
  try {
    const handle = await open(layout.xlogDb, 'a', 0o600).catch((error: unknown) => {
      throw ioError('cannot open WAL index', layout.xlogDb, error);
    });
    try {
      await handle.appendFile(entries.map(formatXlogDbLine).join(''));
      await handle.sync();
    } catch (error) {
      throw ioError('cannot append to WAL index', layout.xlogDb, error);
    } finally {
      await handle.close();
    }
  } finally {
    await lock.release();
  }
}

/**
 * True when `name` is among the lines of the last `bytes` of xlog.db. Used when a file turns
 * out to be archived already: a crash between storing a file and indexing it leaves the line
 * missing, and it would be the newest one, so the tail is enough and no full scan is needed.
 */
export async function xlogDbTailHas(
  layout: ServerLayout,
  name: string,
  bytes = 65_536,
): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(layout.xlogDb, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw ioError('cannot read WAL index', layout.xlogDb, error);
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer
      .toString('utf8')
      .split('\n')
      .some((line) => line.startsWith(`${name}\t`));
  } finally {
    await handle.close();
  }
}

/** Reads every entry of xlog.db (for listings and retention; not on the archiving hot path). */
export async function readXlogDb(layout: ServerLayout): Promise<XlogDbEntry[]> {
  let text: string;
  try {
    const handle = await open(layout.xlogDb, 'r');
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('cannot read WAL index', layout.xlogDb, error);
  }
  return text.split('\n').flatMap((line) => parseXlogDbLine(line) ?? []);
}

/** The segments of xlog.db as parallel columns, in index order. */
export interface SegmentSizes {
  /**
   * Each segment's position without its timeline, as two numbers: the log (hex digits 9-16 of
   * its name) and the segment (digits 17-24), the order Barman compares WAL in across timelines.
   * History and backup-label files are left out.
   */
  readonly logs: Uint32Array;
  readonly segments: Uint32Array;
  /** Their stored sizes, in bytes. */
  readonly sizes: Float64Array;
}

/**
 * The segment positions and sizes of xlog.db, for listings that add up WAL per backup: a
 * catalog can index a million segments, so the lines are scanned in place into numbers, without
 * a string or an object per line. Lines that are not segments (history files, backup labels) or
 * do not parse are skipped, as {@link readXlogDb} skips what it cannot parse.
 */
export async function readSegmentSizes(layout: ServerLayout): Promise<SegmentSizes> {
  let text: Buffer;
  try {
    text = await readFile(layout.xlogDb);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT')
      return { logs: new Uint32Array(0), segments: new Uint32Array(0), sizes: new Float64Array(0) };
    throw ioError('cannot read WAL index', layout.xlogDb, error);
  }
  const logs: number[] = [];
  const segments: number[] = [];
  const sizes: number[] = [];
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf(NEWLINE, start);
    if (end === -1) end = text.length;
    if (start + 25 < end && text[start + 24] === TAB) {
      const timeline = hexAt(text, start, 8);
      const log = hexAt(text, start + 8, 8);
      const segment = hexAt(text, start + 16, 8);
      const size = decimalAt(text, start + 25, end);
      if (timeline >= 0 && log >= 0 && segment >= 0 && size >= 0) {
        logs.push(log);
        segments.push(segment);
        sizes.push(size);
      }
    }
    start = end + 1;
  }
  return {
    logs: Uint32Array.from(logs),
    segments: Uint32Array.from(segments),
    sizes: Float64Array.from(sizes),
  };
}

const NEWLINE = 0x0a;
const TAB = 0x09;

/** `length` upper-case hex digits at `start` as a number, or -1 when one is not a digit. */
function hexAt(bytes: Buffer, start: number, length: number): number {
  let value = 0;
  for (let index = start; index < start + length; index++) {
    const code = bytes[index]!;
    const digit = code >= 48 && code <= 57 ? code - 48 : code >= 65 && code <= 70 ? code - 55 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** The decimal digits from `start` up to a tab or `end`, or -1 when there are none or others. */
function decimalAt(bytes: Buffer, start: number, end: number): number {
  let value = 0;
  let index = start;
  for (; index < end && bytes[index] !== TAB; index++) {
    const code = bytes[index]!;
    if (code < 48 || code > 57) return -1;
    value = value * 10 + (code - 48);
  }
  return index === start || !Number.isSafeInteger(value) ? -1 : value;
}

/** A stored file found in `wals/` while rebuilding the index. */
export interface StoredWalFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Lists the files stored in `wals/`: `<tli+log>/` directories of segments and `.backup` files,
 * and `.history` files at the top, sorted by name. Temporary files (dot names) are skipped.
 */
export async function listStoredWalFiles(layout: ServerLayout): Promise<StoredWalFile[]> {
  const found: StoredWalFile[] = [];
  const visit = async (directory: string, depth: number) => {
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw ioError('cannot list WAL directory', directory, error);
    }
    for (const name of names) {
      if (name.startsWith('.') || name === 'xlog.db') continue;
      const path = join(directory, name);
      const info = await stat(path);
      if (info.isDirectory()) {
        if (depth === 0 && /^[0-9A-F]{16}$/.test(name)) await visit(path, 1);
        continue;
      }
      found.push({ name, path, size: info.size, mtimeMs: info.mtimeMs });
    }
  };
  await visit(layout.wals, 0);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
