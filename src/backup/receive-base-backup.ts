import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Transform } from 'node:stream';
import { createDecompressStream } from '../compression/compress-stream.ts';
import type { WalCompression } from '../compression/compression-format.ts';
import { ZstdFileWriter } from '../compression/zstd-file-writer.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type {
  BackupPosition,
  BackupTablespace,
  BaseBackupStream,
} from '../postgres/replication/base-backup-stream.ts';
import { ArchiveFileSink } from './archive-file-sink.ts';
import { BackupLabelSniffer } from './backup-label-sniffer.ts';
import { TarToDirectory } from './tar-to-directory.ts';

/** How the archives are kept: unpacked (`plain`) or as compressed tar files. */
export type BackupStorage =
  | { readonly kind: 'plain' }
  | {
      readonly kind: 'compressed';
      readonly format: Exclude<WalCompression, 'none'>;
      readonly level?: number;
      readonly onServer: boolean;
      /** zstd threads: the server's `workers`, or barkeep's own compressor threads. */
      readonly workers: number;
    };

/** What the server sent, once everything is on disk (not yet fsynced). */
export interface ReceivedBackup {
  readonly start: BackupPosition;
  readonly end: BackupPosition;
  readonly tablespaces: readonly BackupTablespace[];
  readonly backupLabel: string;
  readonly tablespaceMap: string | undefined;
  /** Bytes of (uncompressed) archive data received. */
  readonly bytes: number;
}

/** Progress as the bytes arrive: done so far and the server's estimate of the total. */
export type ProgressListener = (done: number, total: number | undefined) => void;

// The queue between the socket and the disk: a few of the stream's 512 kB batches. More only
// keeps buffers alive long enough for the garbage collector to promote them and free them late.
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 2 * 1024 * 1024;

interface ArchiveTarget {
  write(chunk: Buffer): Promise<void>;
  finish(): Promise<void>;
  /**
   * Writes synchronously, straight from the receive buffer (plain, and zstd on the client). A
   * target that has it keeps no reference to a chunk once written, so `write()`'s chunks may be
   * reused then.
   */
  writeNow?(chunk: Buffer): void;
}

/** How many bytes written straight from the receive buffer between progress reports. */
const PROGRESS_EVERY = 512 * 1024;

/**
 * Consumes a BASE_BACKUP stream into the backup directory: `data/` for the data directory and
 * `<oid>/` beside it for each tablespace (Barman's layout), unpacked as they arrive, or stored
 * as `data/base.tar.<ext>` and `data/<oid>.tar.<ext>` when compressed; `data/backup_manifest`
 * last. Reading from the server pauses whenever more than a few MiB wait to be written, so
 * memory stays bounded whatever the cluster size.
 */
export function receiveBaseBackup(
  stream: BaseBackupStream,
  directory: string,
  storage: BackupStorage,
  onProgress?: ProgressListener,
): Promise<ReceivedBackup> {
  return new Promise((resolve, reject) => {
    let start: BackupPosition | undefined;
    let end: BackupPosition | undefined;
    let tablespaces: BackupTablespace[] = [];
    let total: number | undefined;
    let received = 0;
    let queued = 0;
    let paused = false;
    let failure: Error | undefined;
    let current: ArchiveTarget | undefined;
    let manifest: Buffer[] | undefined;
    let labelFromSniffer: BackupLabelSniffer | undefined;
    let chain: Promise<void> = Promise.resolve();
    const fail = (error: unknown) => {
      if (failure) return;
      failure = error as Error;
      // Give up at once: the caller closes the connection, which ends the server's side too.
      stream.resume();
      reject(failure);
    };
    /** Steps queued in `chain` and not yet done. */
    let pending = 0;
    let unreported = 0;
    const run = (work: () => Promise<void>) => {
      pending += 1;
      chain = chain
        .then(async () => {
          if (!failure) await work();
        })
        .catch(fail)
        .finally(() => {
          pending -= 1;
        });
    };
    // Archive bytes go straight from the socket's bytes to the files when nothing is queued
    // before them: no copy, no promise.
    stream.directSink = (bytes) => {
      if (pending > 0 || failure || manifest || !current?.writeNow) return false;
      try {
        current.writeNow(bytes);
      } catch (error) {
        fail(error);
        return true;
      }
      received += bytes.length;
      unreported += bytes.length;
      if (unreported >= PROGRESS_EVERY) {
        unreported = 0;
        onProgress?.(received - queued, total);
      }
      return true;
    };

    stream.on('start', (position) => {
      start = position;
    });
    stream.on('tablespaces', (list) => {
      tablespaces = list;
      total = list.reduce((sum, tablespace) => sum + (tablespace.sizeBytes ?? 0), 0) || undefined;
    });
    stream.on('archive', ({ name, tablespace }) => {
      run(async () => {
        await current?.finish();
        current = await openArchive(directory, name, tablespace, storage, (sniffer) => {
          labelFromSniffer = sniffer;
        });
      });
    });
    stream.on('manifest', () => {
      // Synchronously: the manifest's bytes follow at once; the last archive finishes in turn.
      manifest = [];
      run(async () => {
        await current?.finish();
        current = undefined;
      });
    });
    stream.on('data', (chunk) => {
      if (manifest) {
        manifest.push(chunk);
        return;
      }
      received += chunk.length;
      queued += chunk.length;
      if (!paused && queued > HIGH_WATER) {
        paused = true;
        stream.pause();
      }
      run(async () => {
        await current?.write(chunk);
        if (current?.writeNow) stream.recycle(chunk);
        queued -= chunk.length;
        onProgress?.(received - queued, total);
        if (paused && queued < LOW_WATER) {
          paused = false;
          stream.resume();
        }
      });
    });
    stream.on('progress', () => {});
    stream.on('end', (position) => {
      end = position;
    });
    stream.on('error', fail);
    stream.on('done', () => {
      run(async () => {
        await current?.finish();
        if (manifest) {
          const path = join(directory, 'data', 'backup_manifest');
          await writeFile(path, Buffer.concat(manifest), { mode: 0o600 }).catch(
            (error: unknown) => {
              throw ioError('cannot write backup manifest', path, error);
            },
          );
        }
      });
      void chain.then(async () => {
        if (failure) return;
        if (!start || !end)
          return reject(protocolError('the server did not report the start and end positions'));
        const label =
          storage.kind === 'plain'
            ? await readText(join(directory, 'data', 'backup_label'))
            : labelFromSniffer?.label;
        if (!label) return reject(protocolError('the base archive holds no backup_label'));
        const tablespaceMap =
          storage.kind === 'plain'
            ? await readText(join(directory, 'data', 'tablespace_map'))
            : labelFromSniffer?.tablespaceMap;
        resolve({ start, end, tablespaces, backupLabel: label, tablespaceMap, bytes: received });
      });
    });
  });
}

async function openArchive(
  directory: string,
  name: string,
  tablespace: BackupTablespace | undefined,
  storage: BackupStorage,
  exposeSniffer: (sniffer: BackupLabelSniffer) => void,
): Promise<ArchiveTarget> {
  const isBase = tablespace?.oid === undefined;
  if (storage.kind === 'plain') {
    const target = join(directory, isBase ? 'data' : String(tablespace!.oid));
    // pg_tblspc/<oid> points at the tablespace's copy beside data/, not at the server's path.
    const tar = new TarToDirectory(target, (path, linkTarget) =>
      /^pg_tblspc\/\d+$/.test(path) ? `../../${path.split('/')[1]}` : linkTarget,
    );
    return {
      write: (chunk) => tar.write(chunk),
      writeNow: (chunk) => tar.writeNow(chunk),
      finish: async () => void (await tar.end()),
    };
  }
  const fileName = storage.onServer ? name : `${name}.${extensionOf(storage.format)}`;
  await mkdir(join(directory, 'data'), { recursive: true, mode: 0o700 });
  if (!storage.onServer && storage.format === 'zstd') {
    // Compressed as it arrives, synchronously, from the receive buffer (see ZstdFileWriter).
    const writer = await ZstdFileWriter.open(
      join(directory, 'data', fileName),
      storage.level,
      storage.workers > 1 ? storage.workers : 0,
    );
    const sniffer = isBase ? new BackupLabelSniffer() : undefined;
    if (sniffer) exposeSniffer(sniffer);
    const writeNow = (chunk: Buffer) => {
      // The sniffer keeps what it is fed; the chunk itself is reused once written.
      if (sniffer && !sniffer.finished) sniffer.feed(Buffer.from(chunk));
      writer.writeNow(chunk);
    };
    return { write: async (chunk) => writeNow(chunk), writeNow, finish: () => writer.end() };
  }
  const sink = await ArchiveFileSink.open(
    join(directory, 'data', fileName),
    storage.onServer ? 'none' : storage.format,
    storage.level,
    // Threads of zstd's own only when asked for more than one: a single worker thread kept
    // more buffers alive (peak RSS) for no measurable gain in speed.
    storage.workers > 1 ? storage.workers : 0,
  );
  if (!isBase)
    return { write: (chunk) => sink.write(chunk), finish: async () => void (await sink.end()) };
  const sniffer = new BackupLabelSniffer();
  exposeSniffer(sniffer);
  const decompressor: Transform | undefined = storage.onServer
    ? await createDecompressStream(storage.format, { source: name })
    : undefined;
  decompressor?.on('data', (chunk: Buffer) => sniffer.feed(chunk));
  decompressor?.on('error', () => undefined); // only used to find backup_label; the stored bytes are what counts
  return {
    write: async (chunk) => {
      if (!sniffer.finished) {
        if (decompressor) decompressor.write(chunk);
        else sniffer.feed(chunk);
      }
      await sink.write(chunk);
    },
    finish: async () => {
      decompressor?.destroy();
      await sink.end();
    },
  };
}

function extensionOf(format: Exclude<WalCompression, 'none'>): string {
  return { gzip: 'gz', zstd: 'zst', lz4: 'lz4' }[format];
}

/** A file the archive may or may not hold (tablespace_map exists only with tablespaces). */
async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('cannot read backup file', path, error);
  }
}

function protocolError(why: string): BarkeepError {
  return new BarkeepError('operationFailed', {
    what: 'incomplete base backup',
    subject: 'BASE_BACKUP',
    why,
  });
}
