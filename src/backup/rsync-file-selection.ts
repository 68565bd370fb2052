import type { ListedEntry } from './rsync-file-list.ts';

/** A regular file to copy. */
export interface CopyFile {
  /** Relative to its tree, a byte string (see {@link ListedEntry.path}). */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What of one tree (PGDATA or a tablespace) goes into the backup, and how. */
export interface TreeSelection {
  /** Directories and symbolic links rsync copies as they are (no contents). */
  readonly structure: readonly string[];
  /** Regular files rsync copies. */
  readonly files: readonly CopyFile[];
  /** Directories barkeep creates empty (their contents are left out, as pg_basebackup does). */
  readonly emptyDirectories: readonly string[];
}

/** PGDATA directories whose contents pg_basebackup leaves out (the directory itself is kept). */
const EXCLUDED_CONTENTS = new Set([
  'pg_dynshmem',
  'pg_notify',
  'pg_replslot',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);

/**
 * File names pg_basebackup leaves out wherever they are, plus the `.old` files a crashed
 * exclusive backup leaves; barkeep writes backup_label and tablespace_map itself.
 */
const EXCLUDED_FILES = new Set([
  'postgresql.auto.conf.tmp',
  'current_logfiles.tmp',
  'backup_label',
  'backup_label.old',
  'tablespace_map',
  'tablespace_map.old',
  'backup_manifest',
  'postmaster.pid',
  'postmaster.opts',
]);

/**
 * What of PGDATA a backup copies, as pg_basebackup decides it: everything except the contents
 * of pg_wal (the directory and `pg_wal/archive_status` are created empty) and of the runtime
 * directories (pg_dynshmem, pg_notify, pg_replslot, pg_serial, pg_snapshots, pg_stat_tmp,
 * pg_subtrans), the files of {@link EXCLUDED_FILES}, `pg_internal.init*`, temporary files and
 * directories (`pgsql_tmp*`), the non-init forks of unlogged relations, sockets and the like;
 * and the `pg_tblspc/<oid>` links (barkeep links them to the tablespace copies itself).
 * `skipPrefixes` are relative paths left out whole (tablespaces located inside PGDATA).
 */
export function selectPgdata(
  entries: readonly ListedEntry[],
  skipPrefixes: readonly string[] = [],
): TreeSelection {
  const emptyDirectories = ['pg_wal', 'pg_wal/archive_status'];
  const kept = entries.filter((entry) => {
    const path = entry.path;
    const top = path.split('/', 1)[0]!;
    if (top === 'pg_wal') return false;
    if (skipPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)))
      return false;
    if (EXCLUDED_CONTENTS.has(top)) {
      if (path === top && (entry.type === 'd' || entry.type === 'l')) emptyDirectories.push(top);
      return false;
    }
    if (top === 'pg_tblspc' && path !== top && entry.type === 'l') return false;
    return true;
  });
  return selectTree(kept, emptyDirectories);
}

/**
 * What of a tablespace directory a backup copies: its `PG_<major>_<catalog version>` directory
 * (another major's, left by pg_upgrade, is not this cluster's), without temporary files,
 * `pg_internal.init*` and the non-init forks of unlogged relations.
 */
export function selectTablespace(entries: readonly ListedEntry[], major: number): TreeSelection {
  const prefix = `PG_${major}_`;
  return selectTree(
    entries.filter((entry) => entry.path.split('/', 1)[0]!.startsWith(prefix)),
    [],
  );
}

function selectTree(entries: readonly ListedEntry[], emptyDirectories: string[]): TreeSelection {
  const unlogged = unloggedRelations(entries);
  const temporary: string[] = [];
  // Never `.`: rsync --dirs copies the files directly inside a directory named `.`.
  const structure: string[] = [];
  const files: CopyFile[] = [];
  for (const entry of entries) {
    const slash = entry.path.lastIndexOf('/');
    const name = entry.path.slice(slash + 1);
    if (name.startsWith('pgsql_tmp')) {
      if (entry.type === 'd') temporary.push(`${entry.path}/`);
      continue;
    }
    if (temporary.some((directory) => entry.path.startsWith(directory))) continue;
    if (entry.type === 'd' || entry.type === 'l') {
      structure.push(entry.path);
      continue;
    }
    if (entry.type !== 'f') continue;
    if (EXCLUDED_FILES.has(name) || name.startsWith('pg_internal.init')) continue;
    if (isUnloggedFork(entry.path, slash, name, unlogged)) continue;
    files.push({ path: entry.path, size: entry.size, mtimeMs: entry.mtimeMs });
  }
  return { structure, files, emptyDirectories };
}

/** `<directory>/<relfilenode>` of every relation that has an init fork (an unlogged one). */
function unloggedRelations(entries: readonly ListedEntry[]): Set<string> {
  const found = new Set<string>();
  for (const entry of entries) {
    const match = /^(.*\/)?(\d+)_init$/.exec(entry.path);
    if (match && entry.type === 'f') found.add(`${match[1] ?? ''}${match[2]}`);
  }
  return found;
}

/** The main, fsm and vm forks (and their segments) of an unlogged relation: not backed up. */
function isUnloggedFork(
  path: string,
  slash: number,
  name: string,
  unlogged: ReadonlySet<string>,
): boolean {
  if (unlogged.size === 0) return false;
  const match = /^(\d+)(?:_(fsm|vm))?(?:\.\d+)?$/.exec(name);
  return match !== null && unlogged.has(`${path.slice(0, slash + 1)}${match[1]}`);
}
