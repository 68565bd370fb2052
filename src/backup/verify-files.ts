/**
 * What the parts of `verify-backup` share: the context of one verification, the order in which
 * problems are reported, and reading files on disk (a file checked against its size and
 * checksum, a directory walked as byte-string paths).
 */
import type { Dirent } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import type { BackupPaths } from '../catalog/backup-paths.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { type BackupManifest, displayKey, type ManifestFile } from './backup-manifest.ts';
import { createFileChecksum } from './manifest-checksum.ts';

/** Order of the problems: the manifest first, then archives, files, extra files, external config. */
export const RANK_MANIFEST = 0;
export const RANK_ARCHIVE = 1;
export const RANK_FILE = 2;
export const RANK_EXTRA = 3;
export const RANK_EXTERNAL = 4;

/** The read buffer of each worker. */
export const READ_CHUNK = 1024 * 1024;
/** The archives of a compressed backup: `base.tar[.ext]` and `<oid>.tar[.ext]`. */
export const TAR_ARCHIVE = /^(base|\d+)\.tar(?:\.(gz|zst|lz4))?$/;

/** What the checks of one backup share: its paths, manifest, parallelism and where problems go. */
export interface VerifyContext {
  readonly paths: BackupPaths;
  readonly manifest: BackupManifest;
  readonly jobs: number;
  readonly report: (rank: number, order: number, location: string, why: string) => void;
  readonly signal: AbortSignal | undefined;
}

/** `pg_tblspc/<oid>/<rest>` split, or undefined for a file of the main data directory. */
export function tablespacePart(key: string): { oid: string; rest: string } | undefined {
  const match = /^pg_tblspc\/(\d+)\/(.+)$/s.exec(key);
  return match ? { oid: match[1]!, rest: match[2]! } : undefined;
}

/**
 * Checks one file on disk against its expected size and checksum; returns why it is wrong, or
 * undefined when it is right. The file is read in `buffer`-sized pieces.
 */
export async function checkFile(
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

/** A file-system path from a directory and a byte-string relative path. */
export function bytePath(root: string, relative: string): Buffer {
  return Buffer.concat([Buffer.from(`${root}/`, 'utf8'), Buffer.from(relative, 'latin1')]);
}

/**
 * The regular files under a directory, recursively, as byte-string paths relative to it;
 * symbolic links are not followed. A directory that does not exist has none.
 */
export async function* walkFiles(root: string, relative = ''): AsyncGenerator<string> {
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

/** The names in a directory, sorted; none when it does not exist. */
export async function listNames(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).sort(compare);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('cannot list backup directory', directory, error);
  }
}

/** True when `path` is a directory (following links); false when it cannot be read. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Byte-wise order of two strings, as pg_verifybackup lists paths. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
