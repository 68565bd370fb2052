import { createReadStream } from 'node:fs';
import { lchown, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TarToDirectory } from '../backup/tar-to-directory.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import type { BackupPaths } from '../catalog/backup-paths.ts';
import { createDecompressStream } from '../compression/compress-stream.ts';
import { detectCompression } from '../compression/compression-format.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { ioError } from '../errors/system-error.ts';
import { writeFileDurable } from '../storage/durable-write.ts';
import { type CopyResult, copyTree, type FileOwner } from './copy-tree.ts';

/** Where each tablespace of the backup goes: its original location or a `--tablespace` one. */
export interface TablespacePlacement {
  readonly name: string;
  readonly oid: number;
  readonly location: string;
}

/** barkeep's own files in a plain backup's data/ that do not belong in PGDATA. */
const NOT_PGDATA = new Set(['backup_manifest']);

/**
 * Puts a backup's files into DEST: the data directory (copied from a plain backup, or unpacked
 * from its compressed base archive) and each tablespace into its placement, with
 * `pg_tblspc/<oid>` linking to it and `tablespace_map` saying the same (PostgreSQL recreates the
 * links from that file when recovery starts). Everything is given to `owner` when set.
 */
export async function restoreData(
  info: BackupInfo,
  paths: BackupPaths,
  destination: string,
  placements: readonly TablespacePlacement[],
  options: { jobs: number; owner?: FileOwner | undefined },
): Promise<CopyResult> {
  const compressed = info.compression !== null && info.compression !== undefined;
  let total: CopyResult = { files: 0, bytes: 0 };
  const add = (result: CopyResult) => {
    total = { files: total.files + result.files, bytes: total.bytes + result.bytes };
  };
  if (!compressed) {
    add(
      await copyTree(paths.data, destination, {
        jobs: options.jobs,
        owner: options.owner,
        skip: NOT_PGDATA,
      }),
    );
  } else {
    add(await unpackArchive(await findArchive(paths.data, 'base'), destination, options.owner));
  }
  for (const placement of placements) {
    await mkdir(placement.location, { recursive: true, mode: 0o700 });
    if (options.owner) await lchown(placement.location, options.owner.uid, options.owner.gid);
    if (!compressed)
      add(
        await copyTree(paths.tablespace(placement.oid), placement.location, {
          jobs: options.jobs,
          owner: options.owner,
        }),
      );
    else
      add(
        await unpackArchive(
          await findArchive(paths.data, String(placement.oid)),
          placement.location,
          options.owner,
        ),
      );
    const link = join(destination, 'pg_tblspc', String(placement.oid));
    await mkdir(join(destination, 'pg_tblspc'), { recursive: true, mode: 0o700 });
    await rm(link, { force: true });
    await symlink(placement.location, link);
    if (options.owner) await lchown(link, options.owner.uid, options.owner.gid);
  }
  if (placements.length > 0) {
    const map = placements
      .map((placement) => `${placement.oid} ${placement.location.replace(/\n/g, '\\n')}\n`)
      .join('');
    const path = join(destination, 'tablespace_map');
    await writeFileDurable(path, map);
    if (options.owner) await lchown(path, options.owner.uid, options.owner.gid);
  }
  return total;
}

/** `base.tar.zst`, `16385.tar.gz`... in a compressed backup's data/. */
async function findArchive(directory: string, stem: string): Promise<string> {
  const names = await readdir(directory);
  const name = names.find((candidate) => candidate.startsWith(`${stem}.tar`));
  if (!name) {
    throw new BarkeepError('operationFailed', {
      what: 'incomplete backup',
      subject: directory,
      why: `there is no ${stem}.tar archive`,
      hint: 'Check the backup with verify-backup.',
    });
  }
  return join(directory, name);
}

async function unpackArchive(
  archive: string,
  target: string,
  owner: FileOwner | undefined,
): Promise<CopyResult> {
  const first = await new Promise<Buffer>((resolve, reject) => {
    const stream = createReadStream(archive, { start: 0, end: 15 });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk) => chunks.push(chunk as Buffer));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
  const format = detectCompression(first);
  await mkdir(target, { recursive: true, mode: 0o700 });
  const tar = new TarToDirectory(target);
  const input = createReadStream(archive, { highWaterMark: 1024 * 1024 });
  const source =
    format === 'none'
      ? input
      : input.pipe(await createDecompressStream(format, { source: archive }));
  try {
    for await (const chunk of source) await tar.write(chunk as Buffer);
    const result = await tar.end();
    // Directories and links too: PostgreSQL creates files in base/<db>/ and the tablespace's.
    if (owner) await chownTree(target, owner);
    return { files: result.files.length, bytes: result.bytes };
  } catch (error) {
    if (error instanceof BarkeepError) throw error;
    throw ioError('cannot unpack backup archive', archive, error);
  }
}

/** Gives `path` and everything below it (not following links) to `owner`. */
async function chownTree(path: string, owner: FileOwner): Promise<void> {
  await lchown(path, owner.uid, owner.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isDirectory()) await chownTree(join(path, entry.name), owner);
    else await lchown(join(path, entry.name), owner.uid, owner.gid);
  }
}
