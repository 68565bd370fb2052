import type { Dirent } from 'node:fs';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { listBackups } from '../catalog/backup-catalog.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { type BackupPaths, backupDirectory } from '../catalog/backup-paths.ts';
import { selectBackup } from '../catalog/backup-selector.ts';
import { COPY_DONE_STATUSES } from '../catalog/backup-status.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import { createDecompressStream } from '../compression/compress-stream.ts';
import type { DetectedCompression } from '../compression/compression-format.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { forEachLimited } from '../storage/bounded-workers.ts';
import {
  type BackupManifest,
  displayKey,
  type ManifestFile,
  parseBackupManifest,
  pathKey,
} from './backup-manifest.ts';
import { createFileChecksum } from './manifest-checksum.ts';

/** One thing wrong with a backup. */
export interface VerifyProblem {
  /**
   * The file concerned: its path on disk, `<archive>:<member>` for a file inside a tar
   * archive, or the archive itself.
   */
  readonly location: string;
  /** What is wrong, one sentence without the final period. */
  readonly why: string;
}

/** What `verify-backup` found. */
export interface BackupVerification {
  readonly server: string;
  readonly info: BackupInfo;
  /** `plain`: an unpacked data directory; `tar`: `base.tar[.ext]` and `<oid>.tar[.ext]` archives. */
  readonly format: 'plain' | 'tar';
  /** Files checked: those the manifest lists plus the stored external configuration files. */
  readonly filesChecked: number;
  /**
   * Every problem, the most telling first: the manifest itself, whole archives that are
   * missing or unreadable, then files in manifest order, then files the manifest does not list,
   * then the external configuration files.
   */
  readonly problems: readonly VerifyProblem[];
}

/** Options of {@link verifyBackup}. */
export interface VerifyBackupOptions {
  /** Files (plain backups) or archives (compressed backups) read at once; default 1. */
  readonly jobs?: number;
  readonly signal?: AbortSignal;
}

interface RankedProblem extends VerifyProblem {
  readonly rank: number;
  readonly order: number;
}

const RANK_MANIFEST = 0;
const RANK_ARCHIVE = 1;
const RANK_FILE = 2;
const RANK_EXTRA = 3;
const RANK_EXTERNAL = 4;

const READ_CHUNK = 1024 * 1024;
const TAR_ARCHIVE = /^(base|\d+)\.tar(?:\.(gz|zst|lz4))?$/;

/**
 * `verify-backup SERVER ID`: checks every file of a backup against its `data/backup_manifest`,
 * as pg_verifybackup does but without it: the manifest's own checksum, then each listed file's
 * presence, size and checksum (CRC-32C or SHA-2, whichever the manifest names), and files the
 * manifest does not list. Plain backups are read file by file (tablespaces from `base/<id>/<oid>/`,
 * `jobs` files at once); compressed ones are decompressed and their tar archives parsed as a
 * stream, checksums computed on the fly, so memory stays bounded. The configuration files kept
 * from outside PGDATA are checked against `external-config.json`. Only complete backups (DONE,
 * WAITING_FOR_WALS) are verified; a backup without a manifest cannot be. Problems are returned,
 * not thrown: see {@link verificationFailure}.
 */
export async function verifyBackup(
  server: ServerConfig,
  selector: string,
  options: VerifyBackupOptions = {},
): Promise<BackupVerification> {
  const layout = serverLayout(server.name, server.settings);
  const info = selectBackup(await listBackups(layout), selector);
  if (!COPY_DONE_STATUSES.includes(info.status)) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot verify backup',
      subject: info.backup_id,
      why: `it is ${info.status}${info.error ? ` (${info.error})` : ''}; only a complete backup can be verified`,
      hint: `See 'barkeep show-backup ${server.name} ${info.backup_id}'.`,
    });
  }
  const paths = backupDirectory(layout, info.backup_id);
  const jobs = Math.max(1, options.jobs ?? 1);
  const problems: RankedProblem[] = [];
  const report = (rank: number, order: number, location: string, why: string) =>
    problems.push({ rank, order, location, why });

  const manifestPath = join(paths.data, 'backup_manifest');
  const manifest = await readManifest(manifestPath, info);
  let format: 'plain' | 'tar' = 'plain';
  let filesChecked = 0;
  if (manifest instanceof Error) {
    report(
      RANK_MANIFEST,
      0,
      manifestPath,
      `it cannot be read as a backup manifest: ${manifest.message}`,
    );
  } else {
    for (const [index, why] of manifestProblems(manifest, info).entries())
      report(RANK_MANIFEST, index, manifestPath, why);
    const dataNames = await listNames(paths.data);
    format = dataNames.some((name) => TAR_ARCHIVE.test(name)) ? 'tar' : 'plain';
    const context: VerifyContext = { paths, manifest, jobs, report, signal: options.signal };
    if (format === 'plain') await verifyPlain(context);
    else await verifyArchives(context, dataNames);
    filesChecked += manifest.files.length;
  }
  filesChecked += await verifyExternalConfig(paths, report);
  problems.sort((a, b) => a.rank - b.rank || a.order - b.order || compare(a.location, b.location));
  return {
    server: server.name,
    info,
    format,
    filesChecked,
    problems: problems.map(({ location, why }) => ({ location, why })),
  };
}

/**
 * The `checkFailed` error (exit 3) for a verification that found problems: it names the first
 * one and counts them all. Undefined when the backup is sound.
 */
export function verificationFailure(verification: BackupVerification): BarkeepError | undefined {
  const [first] = verification.problems;
  if (!first) return undefined;
  const count = verification.problems.length;
  const { info, server } = verification;
  return new BarkeepError('checkFailed', {
    what: 'backup verification failed',
    subject: first.location,
    why: `${first.why} (backup ${info.backup_id} of server ${server}: ${count} problem${count === 1 ? '' : 's'} found${count > 1 ? ', this is the first' : ''})`,
    hint: 'Do not rely on this backup: take a new one, and keep this one only to investigate what changed it.',
  });
}

interface VerifyContext {
  readonly paths: BackupPaths;
  readonly manifest: BackupManifest;
  readonly jobs: number;
  readonly report: (rank: number, order: number, location: string, why: string) => void;
  readonly signal: AbortSignal | undefined;
}

async function readManifest(path: string, info: BackupInfo): Promise<BackupManifest | Error> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      throw new BarkeepError('operationFailed', {
        what: 'cannot verify backup',
        subject: info.backup_id,
        why: `it has no manifest (${path}); backups taken by rsync or from PostgreSQL before 13 have none`,
        hint: 'Only backups with a backup_manifest can be verified; check-backup still checks their WAL.',
      });
    }
    throw ioError('cannot read backup manifest', path, error);
  }
  try {
    return parseBackupManifest(raw);
  } catch (error) {
    return error as Error;
  }
}

/** The manifest's own problems, and those that show it belongs to another backup. */
function manifestProblems(manifest: BackupManifest, info: BackupInfo): string[] {
  const problems = [...manifest.problems];
  if (
    manifest.systemIdentifier !== undefined &&
    info.systemid &&
    manifest.systemIdentifier !== info.systemid
  )
    problems.push(
      `it is of the cluster ${manifest.systemIdentifier}, but the backup is of ${info.systemid}`,
    );
  if (
    manifest.startLsn !== undefined &&
    info.begin_xlog &&
    manifest.startLsn.toUpperCase() !== info.begin_xlog.toUpperCase()
  )
    problems.push(
      `its WAL range starts at ${manifest.startLsn}, but the backup began at ${info.begin_xlog}`,
    );
  return problems;
}

// ---------------------------------------------------------------- plain backups

/** `pg_tblspc/<oid>/<rest>` split, or undefined for a file of the main data directory. */
function tablespacePart(key: string): { oid: string; rest: string } | undefined {
  const match = /^pg_tblspc\/(\d+)\/(.+)$/s.exec(key);
  return match ? { oid: match[1]!, rest: match[2]! } : undefined;
}

async function verifyPlain(context: VerifyContext): Promise<void> {
  const { paths, manifest, report } = context;
  // Barman's and barkeep's layout: tablespaces beside data/, as base/<id>/<oid>/. A backup whose
  // data/pg_tblspc/<oid> is a directory (or a link elsewhere) is read there instead.
  const roots = new Map<string, string>();
  const tablespaceRoot = async (oid: string) => {
    let root = roots.get(oid);
    if (root === undefined) {
      const beside = paths.tablespace(Number(oid));
      root = (await isDirectory(beside)) ? beside : join(paths.data, 'pg_tblspc', oid);
      roots.set(oid, root);
    }
    return root;
  };
  const locate = async (key: string): Promise<{ root: string; relative: string }> => {
    const part = tablespacePart(key);
    return part
      ? { root: await tablespaceRoot(part.oid), relative: part.rest }
      : { root: paths.data, relative: key };
  };

  const perWorker = { setup: () => Buffer.allocUnsafe(READ_CHUNK), signal: context.signal };
  await forEachLimited(
    manifest.files,
    context.jobs,
    async (file, buffer: Buffer) => {
      const { root, relative } = await locate(file.key);
      const location = join(root, displayKey(relative));
      const why = await checkFile(bytePath(root, relative), file.size, file, buffer);
      if (why) report(RANK_FILE, file.index, location, why);
    },
    perWorker,
  );

  const listed = new Set(manifest.files.map((file) => file.key));
  const extra = (key: string, location: string) => {
    if (!listed.has(key)) report(RANK_EXTRA, 0, location, 'the manifest does not list this file');
  };
  for await (const relative of walkFiles(paths.data)) {
    if (relative === 'backup_manifest') continue;
    extra(relative, join(paths.data, displayKey(relative)));
  }
  for (const name of await listNames(paths.directory)) {
    if (!/^\d+$/.test(name) || !(await isDirectory(join(paths.directory, name)))) continue;
    for await (const relative of walkFiles(join(paths.directory, name)))
      extra(`pg_tblspc/${name}/${relative}`, join(paths.directory, name, displayKey(relative)));
  }
}

/**
 * Checks one file on disk against its expected size and checksum; returns why it is wrong, or
 * undefined when it is right. The file is read in `buffer`-sized pieces.
 */
async function checkFile(
  path: Buffer,
  size: number,
  expected: { algorithm: ManifestFile['algorithm']; checksum: string },
  buffer: Buffer,
): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'it is missing: the manifest lists it';
    return `it cannot be read: ${ioError('', '', error).why}`;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return 'it is not a regular file';
    if (stats.size !== size) return `its size is ${stats.size} bytes, the manifest says ${size}`;
    if (expected.algorithm === 'NONE') return undefined;
    const checksum = createFileChecksum(expected.algorithm);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      checksum.update(buffer.subarray(0, bytesRead));
    }
    if (total !== size) return `it changed while being read (${total} bytes, not ${size})`;
    const actual = checksum.digestHex();
    return actual === expected.checksum
      ? undefined
      : `its ${expected.algorithm} checksum is ${actual}, the manifest says ${expected.checksum}`;
  } catch (error) {
    return `it cannot be read: ${ioError('', '', error).why}`;
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------- compressed backups

function formatOf(extension: string | undefined): DetectedCompression {
  return extension === 'gz'
    ? 'gzip'
    : extension === 'zst'
      ? 'zstd'
      : extension === 'lz4'
        ? 'lz4'
        : 'none';
}

async function verifyArchives(context: VerifyContext, dataNames: readonly string[]): Promise<void> {
  const { paths, manifest, report } = context;
  // Which archive holds which listed file: pg_tblspc/<oid>/... in <oid>.tar, the rest in base.tar.
  const byArchive = new Map<string, Map<string, ManifestFile>>();
  for (const file of manifest.files) {
    const part = tablespacePart(file.key);
    const archive = part?.oid ?? 'base';
    const files = byArchive.get(archive) ?? new Map<string, ManifestFile>();
    byArchive.set(archive, files);
    files.set(part ? part.rest : file.key, file);
  }
  const archives: { name: string; stem: string; format: DetectedCompression }[] = [];
  for (const name of dataNames) {
    const match = TAR_ARCHIVE.exec(name);
    if (match) archives.push({ name, stem: match[1]!, format: formatOf(match[2]) });
    else if (name !== 'backup_manifest')
      report(RANK_EXTRA, 0, join(paths.data, name), 'the manifest does not list this file');
  }
  for (const [stem, files] of byArchive) {
    if (archives.some((archive) => archive.stem === stem)) continue;
    report(
      RANK_ARCHIVE,
      0,
      join(paths.data, `${stem}.tar`),
      `the archive is missing: the manifest lists ${files.size} file(s) in it`,
    );
  }
  await forEachLimited(
    archives,
    context.jobs,
    async (archive) => {
      const path = join(paths.data, archive.name);
      const files = byArchive.get(archive.stem) ?? new Map<string, ManifestFile>();
      const seen = new Set<string>();
      try {
        await scanTar(path, archive.format, async (header, stream) => {
          const name = header.name.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
          if (header.type !== 'file' && header.type !== 'contiguous-file') return;
          const location = `${path}:${displayKey(name)}`;
          const file = files.get(name);
          if (!file) {
            // backup_manifest itself is never in an archive; anything else unlisted is extra.
            report(RANK_EXTRA, 0, location, 'the manifest does not list this file');
            return;
          }
          seen.add(name);
          const why = await checkStream(stream, header.size ?? 0, file);
          if (why) report(RANK_FILE, file.index, location, why);
        });
      } catch (error) {
        const unseen = [...files.keys()].filter((name) => !seen.has(name)).length;
        const why = isBarkeepError(error) ? error.why : (error as Error).message;
        report(
          RANK_ARCHIVE,
          0,
          path,
          `the archive cannot be read to its end (${why})${unseen > 0 ? `; ${unseen} file(s) of the manifest in it were not reached` : ''}`,
        );
        return;
      }
      for (const [name, file] of files) {
        if (!seen.has(name))
          report(
            RANK_FILE,
            file.index,
            `${path}:${displayKey(name)}`,
            'it is missing: the manifest lists it',
          );
      }
    },
    { signal: context.signal },
  );
}

/**
 * Reads a (compressed) tar archive as a stream, handing each entry to `onEntry`, which must
 * consume or leave its data stream; what it does not read is skipped.
 */
async function scanTar(
  path: string,
  format: DetectedCompression,
  onEntry: (header: Header, stream: Readable) => Promise<void>,
): Promise<void> {
  // latin1: names as byte strings, the form the manifest's keys take.
  // (tar-stream reads the option; its type declarations leave it out.)
  const extractor = extract({ filenameEncoding: 'latin1' } as Parameters<typeof extract>[0]);
  extractor.on('entry', (header, source, next) => {
    const stream = source as unknown as Readable;
    // The entry's data must be read (or skipped by resume()) before the next header is parsed.
    onEntry(header, stream).then(
      () => {
        stream.resume();
        next();
      },
      (error: unknown) => {
        stream.resume();
        next(error as Error);
      },
    );
  });
  const source = createReadStream(path);
  const decompress = await createDecompressStream(format, { source: path });
  try {
    await pipeline(source, decompress, extractor);
  } catch (error) {
    if (isBarkeepError(error)) throw error;
    const code = errnoCode(error);
    if (code) throw ioError('cannot read backup archive', path, error);
    throw error;
  }
}

/** Checks a tar entry's data as it streams by; see checkFile. */
async function checkStream(
  stream: Readable,
  size: number,
  expected: ManifestFile,
): Promise<string | undefined> {
  if (size !== expected.size)
    return `its size is ${size} bytes, the manifest says ${expected.size}`;
  if (expected.algorithm === 'NONE') return undefined;
  const checksum = createFileChecksum(expected.algorithm);
  for await (const chunk of stream) checksum.update(chunk as Buffer);
  const actual = checksum.digestHex();
  return actual === expected.checksum
    ? undefined
    : `its ${expected.algorithm} checksum is ${actual}, the manifest says ${expected.checksum}`;
}

// ---------------------------------------------------------------- external configuration

/** One entry of `external-config.json`, as far as verification needs it. */
interface StoredEntry {
  readonly storedPath: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Checks the configuration files kept from outside PGDATA against `external-config.json`
 * (size and SHA-256), and reports files under `external/` it does not list. A backup without
 * the list (Barman's, or older) has nothing to check. Returns how many files it lists.
 */
async function verifyExternalConfig(
  paths: BackupPaths,
  report: VerifyContext['report'],
): Promise<number> {
  const listPath = join(paths.directory, 'external-config.json');
  let text: string;
  try {
    text = await readFile(listPath, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw ioError('cannot read the list of external configuration files', listPath, error);
  }
  let entries: StoredEntry[];
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error('it is not a JSON list');
    entries = parsed.map((entry, index) => {
      const fields = entry as Partial<Record<keyof StoredEntry, unknown>>;
      if (
        typeof fields?.storedPath !== 'string' ||
        typeof fields.size !== 'number' ||
        typeof fields.sha256 !== 'string' ||
        fields.storedPath.split('/').some((part) => part === '..' || part === '') ||
        !fields.storedPath.startsWith('external/')
      )
        throw new Error(`entry ${index + 1} has no valid storedPath, size and sha256`);
      return { storedPath: fields.storedPath, size: fields.size, sha256: fields.sha256 };
    });
  } catch (error) {
    report(RANK_EXTERNAL, 0, listPath, `it cannot be read: ${(error as Error).message}`);
    return 0;
  }
  const buffer = Buffer.allocUnsafe(READ_CHUNK);
  for (const [index, entry] of entries.entries()) {
    const path = join(paths.directory, entry.storedPath);
    const why = await checkFile(
      Buffer.from(path),
      entry.size,
      { algorithm: 'SHA256', checksum: entry.sha256.toLowerCase() },
      buffer,
    );
    if (why)
      report(RANK_EXTERNAL, index + 1, path, why.replace('the manifest', 'external-config.json'));
  }
  const listed = new Set(entries.map((entry) => pathKey(entry.storedPath)));
  const root = join(paths.directory, 'external');
  for await (const relative of walkFiles(root)) {
    if (!listed.has(`external/${relative}`))
      report(
        RANK_EXTERNAL,
        entries.length + 1,
        join(root, displayKey(relative)),
        'external-config.json does not list this file',
      );
  }
  return entries.length;
}

// ---------------------------------------------------------------- helpers

/** A file-system path from a directory and a byte-string relative path. */
function bytePath(root: string, relative: string): Buffer {
  return Buffer.concat([Buffer.from(`${root}/`, 'utf8'), Buffer.from(relative, 'latin1')]);
}

/**
 * The regular files under a directory, recursively, as byte-string paths relative to it;
 * symbolic links are not followed. A directory that does not exist has none.
 */
async function* walkFiles(root: string, relative = ''): AsyncGenerator<string> {
  let entries: Dirent<Buffer>[];
  const directory = relative === '' ? Buffer.from(root) : bytePath(root, relative);
  try {
    entries = await readdir(directory, { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' && relative === '') return;
    throw ioError('cannot list backup directory', displayKey(directory.toString('latin1')), error);
  }
  const sorted = entries
    .map((entry) => ({ entry, name: entry.name.toString('latin1') }))
    .sort((a, b) => compare(a.name, b.name));
  for (const { entry, name } of sorted) {
    const path = relative === '' ? name : `${relative}/${name}`;
    if (entry.isDirectory()) yield* walkFiles(root, path);
    else if (entry.isFile()) yield path;
  }
}

async function listNames(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).sort(compare);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('cannot list backup directory', directory, error);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
