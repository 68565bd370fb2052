import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { ManifestFile } from './backup-manifest.ts';
import type { ManifestFileEntry } from './backup-manifest-writer.ts';
import type { FileDigestPool } from './file-digest-pool.ts';

/** One copied tree of the backup and what it may take checksums from. */
export interface DigestTree {
  /** The copy in the backup (`base/<id>/data` or `base/<id>/<oid>`). */
  readonly root: string;
  /** What the manifest puts before its paths: '' for data, `pg_tblspc/<oid>/` for a tablespace. */
  readonly prefix: string;
  /** The previous backup's copy of the same tree and its manifest, when files were reused. */
  readonly previous?: {
    readonly root: string;
    readonly files: ReadonlyMap<string, ManifestFile>;
  };
}

/**
 * The manifest entries of a backup being copied, computed as the copy goes: every file is read
 * once and fsynced by the pool right after the rsync run that wrote it. A file hard-linked to
 * the previous backup (same inode) takes that backup's checksum and needs no flush; with
 * `reuse_backup = copy`, a file rsync copied locally because size and time matched (only for
 * runs that trusted that check) takes it too, and is only flushed.
 */
export class BackupFileDigests {
  readonly #pool: FileDigestPool;
  readonly #copyReuse: boolean;
  readonly #entries = new Map<string, Promise<ManifestFileEntry | undefined>>();

  constructor(pool: FileDigestPool, reuseMode: 'off' | 'copy' | 'link') {
    this.#pool = pool;
    this.#copyReuse = reuseMode === 'copy';
  }

  /**
   * Starts on files rsync has finished writing; `trusted` says whether their run trusted size
   * and time (a checksum may then come from the previous backup). Errors surface in
   * {@link finish}.
   */
  submit(tree: DigestTree, paths: readonly string[], trusted: boolean): void {
    for (const path of paths) {
      const key = `${tree.prefix}${path}`;
      if (this.#entries.has(key)) continue;
      const entry = this.#digest(tree, path, key, trusted);
      entry.catch(() => undefined); // awaited in finish()
      this.#entries.set(key, entry);
    }
  }

  /**
   * Walks every tree for the files not submitted yet (backup_label, tablespace_map), digests
   * them, waits for everything, and returns the entries; files that vanished are left out.
   */
  async finish(trees: readonly DigestTree[]): Promise<ManifestFileEntry[]> {
    for (const tree of trees) {
      const paths: string[] = [];
      for await (const path of walkFiles(tree.root)) paths.push(path);
      this.submit(
        tree,
        paths.filter((path) => !(tree.prefix === '' && path === 'backup_manifest')),
        false,
      );
    }
    const entries = await Promise.all(this.#entries.values());
    return entries.filter((entry): entry is ManifestFileEntry => entry !== undefined);
  }

  async #digest(
    tree: DigestTree,
    path: string,
    key: string,
    trusted: boolean,
  ): Promise<ManifestFileEntry | undefined> {
    const file = bytePath(tree.root, path);
    const stats = await lstat(file).catch((error: unknown) => {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw ioError('cannot read backup file', displayPath(file), error);
    });
    if (!stats?.isFile()) return undefined;
    const known = tree.previous?.files.get(key);
    if (tree.previous && known?.algorithm === 'SHA256' && known.size === stats.size) {
      const before = await lstat(bytePath(tree.previous.root, path)).catch(() => undefined);
      if (before && before.ino === stats.ino && before.dev === stats.dev) {
        return { key, size: stats.size, mtimeMs: stats.mtimeMs, sha256: known.checksum };
      }
      if (
        this.#copyReuse &&
        trusted &&
        before &&
        before.size === stats.size &&
        before.mtimeMs === stats.mtimeMs
      ) {
        const flushed = await this.#pool.digest({ path: file, hash: false, sync: true });
        return { key, size: flushed.size, mtimeMs: flushed.mtimeMs, sha256: known.checksum };
      }
    }
    const digest = await this.#pool.digest({ path: file, hash: true, sync: true });
    return { key, size: digest.size, mtimeMs: digest.mtimeMs, sha256: digest.sha256! };
  }
}

/** The regular files below `root` as byte-string relative paths; links are not followed. */
async function* walkFiles(root: string, relative = ''): AsyncGenerator<string> {
  const directory = relative === '' ? Buffer.from(root) : bytePath(root, relative);
  let entries: Dirent<Buffer>[];
  try {
    entries = await readdir(directory, { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' && relative === '') return;
    throw ioError('cannot list backup directory', displayPath(directory), error);
  }
  for (const entry of entries) {
    const name = entry.name.toString('latin1');
    const path = relative === '' ? name : `${relative}/${name}`;
    if (entry.isDirectory()) yield* walkFiles(root, path);
    else if (entry.isFile()) yield path;
  }
}

/** A file-system path from a directory and a byte-string relative path. */
export function bytePath(root: string, relative: string): Buffer {
  return Buffer.concat([Buffer.from(`${root}/`, 'utf8'), Buffer.from(relative, 'latin1')]);
}

function displayPath(path: Buffer): string {
  return path.toString('utf8');
}
