import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError } from '../errors/system-error.ts';
import { forEachLimited } from '../storage/bounded-workers.ts';
import type { BackupFileDigests, DigestTree } from './backup-file-digests.ts';
import { watchCompletedFiles } from './completed-file-watch.ts';
import type { ProgressListener } from './receive-base-backup.ts';
import { listTrees } from './rsync-file-list.ts';
import { selectPgdata, selectTablespace, type TreeSelection } from './rsync-file-selection.ts';
import type { RsyncHost } from './rsync-host.ts';
import { type CopyChunk, planCopy } from './rsync-plan.ts';
import type { ReuseBase } from './rsync-reuse.ts';
import { type RsyncReuse, runRsync } from './rsync-run.ts';

/** One directory tree to copy: PGDATA first, then each tablespace. */
export interface CopySource {
  /** Where it is on the PostgreSQL host. */
  readonly source: string;
  /** Its copy: `base/<id>/data` or `base/<id>/<oid>`. */
  readonly target: string;
  /** Undefined for PGDATA. */
  readonly tablespaceOid?: number;
  /** Relative paths left out (tablespaces located inside PGDATA). */
  readonly skip?: readonly string[];
}

/** Options of {@link copyTrees}. */
export interface CopyTreesOptions {
  /** Where the files are read (its listing and the runs that send no file data go through it). */
  readonly host: RsyncHost;
  /** The same host for the runs that carry file data, when they need connections of their own. */
  readonly bulkHost?: RsyncHost;
  readonly trees: readonly CopySource[];
  /** The server's major version: a tablespace holds one `PG_<major>_*` directory per major. */
  readonly major: number;
  readonly jobs: number;
  readonly base: ReuseBase | undefined;
  readonly compress: boolean;
  readonly digests: BackupFileDigests;
  readonly onProgress?: ProgressListener | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/** What the copy did. */
export interface CopiedTrees {
  /** Bytes of the files selected for the copy (the cluster's size, pg_wal aside). */
  readonly bytes: number;
  readonly files: number;
  /** rsync runs (structure runs included). */
  readonly runs: number;
  /** Files that vanished while being copied (PostgreSQL removed them; WAL replay recreates them). */
  readonly vanished: number;
  /** What the manifest is computed over: each tree with its previous copy. */
  readonly digestTrees: readonly DigestTree[];
}

/**
 * Copies PGDATA and the tablespaces from the host, after `pg_backup_start`: lists them with one
 * `find`, leaves out what pg_basebackup leaves out, copies the directories and symbolic links
 * first (one run per tree), then the files in chunks balanced by size, `jobs` rsync processes
 * at once; each file is handed to the checksum pool as soon as rsync has put it in place. With a
 * reuse base, files unchanged since that backup began are compared by size and time against
 * its copy and linked or copied from it; newer ones are always transferred.
 */
export async function copyTrees(options: CopyTreesOptions): Promise<CopiedTrees> {
  const { host, trees, base } = options;
  const listing = await listTrees(
    host,
    trees.map((tree) => tree.source),
    options.env,
  );
  const selections: TreeSelection[] = trees.map((tree) => {
    const entries = listing.get(tree.source) ?? [];
    return tree.tablespaceOid === undefined
      ? selectPgdata(entries, tree.skip)
      : selectTablespace(entries, options.major);
  });
  const reuseOf = await Promise.all(trees.map((tree) => reuseDirectory(tree, base)));
  const digestTrees: DigestTree[] = trees.map((tree, index) => ({
    root: tree.target,
    prefix: tree.tablespaceOid === undefined ? '' : `pg_tblspc/${tree.tablespaceOid}/`,
    ...(reuseOf[index] && base
      ? { previous: { root: reuseOf[index].directory, files: base.manifest } }
      : {}),
  }));
  let runs = 0;
  let vanished = 0;
  const run = async (index: number, paths: readonly string[], chunk?: CopyChunk) => {
    const result = await runRsync({
      // The runs that carry the data get connections of their own (see openBackupSsh).
      host: chunk?.check === 'full' ? (options.bulkHost ?? host) : host,
      source: trees[index]!.source,
      target: trees[index]!.target,
      paths,
      reuse: chunk ? reuseOf[index] : undefined,
      ignoreTimes: chunk?.check === 'full' && reuseOf[index] !== undefined,
      compress: options.compress,
      ...(options.env ? { env: options.env } : {}),
    });
    runs++;
    vanished += result.vanished.length;
  };

  for (const [index, tree] of trees.entries()) {
    await makeDirectory(tree.target);
    await run(index, selections[index]!.structure);
    for (const directory of selections[index]!.emptyDirectories)
      await makeDirectory(join(tree.target, directory));
  }
  const chunks = planCopy(
    selections.map((selection) => selection.files),
    { jobs: options.jobs, horizonMs: base?.horizonMs },
  );
  const total = chunks.reduce((sum, chunk) => sum + chunk.bytes, 0);
  let done = 0;
  options.onProgress?.(0, total);
  await forEachLimited(chunks, options.jobs, async (chunk) => {
    const paths = chunk.files.map((file) => file.path);
    const tree = digestTrees[chunk.tree]!;
    const trusted = chunk.check === 'quick';
    // Files rsync has finished are checksummed and flushed while it copies the others.
    const watch = watchCompletedFiles(tree.root, paths, (done) =>
      options.digests.submit(tree, done, trusted),
    );
    try {
      await run(chunk.tree, paths, chunk);
    } finally {
      await watch.stop();
    }
    options.digests.submit(tree, paths, trusted);
    done += chunk.bytes;
    options.onProgress?.(done, total);
  });
  return {
    bytes: total,
    files: chunks.reduce((sum, chunk) => sum + chunk.files.length, 0),
    runs,
    vanished,
    digestTrees,
  };
}

/** The previous backup's copy of a tree, when it has one to reuse. */
async function reuseDirectory(
  tree: CopySource,
  base: ReuseBase | undefined,
): Promise<RsyncReuse | undefined> {
  if (!base) return undefined;
  const directory =
    tree.tablespaceOid === undefined ? base.paths.data : base.paths.tablespace(tree.tablespaceOid);
  try {
    if (!(await stat(directory)).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return { mode: base.mode, directory };
}

async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw ioError('cannot create backup directory', path, error);
  }
}
