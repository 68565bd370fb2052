import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { ioError } from '../errors/system-error.ts';
import { ensureDirectory, writeFileDurable } from '../storage/durable-write.ts';
import { BACKUP_INFO_FIELDS, type BackupInfoKey, isBackupInfoKey } from './backup-info-fields.ts';
import type { BackupStatus } from './backup-status.ts';
import type { BackupTimestamp } from './backup-timestamp.ts';
import type { PyValue } from './python-literal.ts';

/** A tablespace of the backed-up cluster; Barman stores it as the tuple `(name, oid, location)`. */
export interface Tablespace {
  readonly name: string;
  readonly oid: number;
  readonly location: string;
}

/** `copy_stats`: Barman's timing figures, e.g. `{'copy_time': 1.5, 'total_time': 2.0}`. */
export type CopyStats = Readonly<Record<string, PyValue>>;

/**
 * One backup's metadata, the keys of Barman's `BackupInfo` with their Python types mapped to
 * TypeScript (null is Python's `None`). Keys whose names and meanings are Barman's are not
 * documented again here; see Barman's infofile.py.
 *
 * Which keys are written: the keys Barman 3.4 (Debian 12's package) knows are always written,
 * `None` when unset, as Barman's save() does. The keys newer Barman versions added
 * (`data_checksums`, `summarize_wal`, `parent_backup_id`, `children_backup_ids`, `cluster_size`)
 * are optional here: undefined means "not in the file" and is not written, null is written as
 * `None`. A Barman older than those keys (3.4 among them) cannot load a backup.info with a key it does not know (its
 * BackupInfo has `__slots__`, so load()'s setattr raises, and one such file breaks list-backups
 * for the whole server); leaving those keys out while unset keeps barkeep's files readable by
 * every Barman 3.x, and files read from a newer Barman are written back with the same keys.
 *
 * barkeep adds no keys of its own, for the same reason: the PID of the process running a backup
 * lives in a separate file (backup-process.ts), retention `keep` in Barman's own annotation file.
 */
export interface BackupInfo {
  /** The backup's directory name under `base/`, not stored in the file. */
  readonly backup_id: string;
  /** The backup_label file PostgreSQL returned, as a Python str literal in the file. */
  readonly backup_label: string | null;
  /** The `--name` given to the backup; not written at all while unset (as Barman does). */
  readonly backup_name?: string | null;
  readonly begin_offset: number | null;
  readonly begin_time: BackupTimestamp | null;
  readonly begin_wal: string | null;
  readonly begin_xlog: string | null;
  /** Incremental backups based on this one (newer Barman), a comma-separated list in the file. */
  readonly children_backup_ids?: readonly string[] | null;
  /** Estimated size of the cluster at backup time (newer Barman). */
  readonly cluster_size?: number | null;
  /** The backup_compression used, e.g. `gzip`. */
  readonly compression: string | null;
  readonly config_file: string | null;
  readonly copy_stats: CopyStats | null;
  /** `on` / `off` (newer Barman). */
  readonly data_checksums?: string | null;
  readonly deduplicated_size: number | null;
  readonly end_offset: number | null;
  readonly end_time: BackupTimestamp | null;
  readonly end_wal: string | null;
  readonly end_xlog: string | null;
  /** Why the backup failed; written raw, so line breaks become spaces. */
  readonly error: string | null;
  readonly hba_file: string | null;
  readonly ident_file: string | null;
  readonly included_files: readonly string[] | null;
  /** The backup method, e.g. `postgres`, `rsync-concurrent`. */
  readonly mode: string | null;
  /** The backup an incremental backup is based on (newer Barman). */
  readonly parent_backup_id?: string | null;
  readonly pgdata: string | null;
  readonly server_name: string | null;
  readonly size: number | null;
  readonly status: BackupStatus;
  /** `on` / `off` (newer Barman). */
  readonly summarize_wal?: string | null;
  /** The cluster's system identifier, decimal text (it exceeds 2^53). */
  readonly systemid: string | null;
  readonly tablespaces: readonly Tablespace[] | null;
  readonly timeline: number | null;
  /** PostgreSQL's server_version_num, e.g. 160004. */
  readonly version: number | null;
  readonly xlog_segment_size: number | null;
  /**
   * Keys barkeep does not model (`snapshots_info`, a newer Barman's `encryption`, ...), with
   * their text as stored, written back unchanged.
   */
  readonly extra: Readonly<Record<string, string>>;
}

/** PostgreSQL's default WAL segment size, Barman's default for `xlog_segment_size`. */
export const DEFAULT_XLOG_SEGMENT_SIZE = 16 * 1024 * 1024;

/**
 * A backup.info with nothing known yet: Barman's defaults (status `EMPTY`, 16 MiB segments),
 * every other key unset. Callers spread their values over it.
 */
export function emptyBackupInfo(backupId: string): BackupInfo {
  return {
    backup_id: backupId,
    backup_label: null,
    begin_offset: null,
    begin_time: null,
    begin_wal: null,
    begin_xlog: null,
    compression: null,
    config_file: null,
    copy_stats: null,
    deduplicated_size: null,
    end_offset: null,
    end_time: null,
    end_wal: null,
    end_xlog: null,
    error: null,
    hba_file: null,
    ident_file: null,
    included_files: null,
    mode: null,
    pgdata: null,
    server_name: null,
    size: null,
    status: 'EMPTY',
    systemid: null,
    tablespaces: null,
    timeline: null,
    version: null,
    xlog_segment_size: DEFAULT_XLOG_SEGMENT_SIZE,
    extra: {},
  };
}

/**
 * The text of a backup.info exactly as Barman's `FieldListFile.save()` writes it: one
 * `name=value` line per key, sorted by name, each value through its dump function, `None` for
 * unset keys; `backup_name` left out while unset, the newer optional keys while undefined (see
 * {@link BackupInfo}), and the keys of `extra` written back as they were read.
 */
export function formatBackupInfo(info: BackupInfo): string {
  const lines = new Map<string, string>(Object.entries(info.extra));
  for (const key of Object.keys(BACKUP_INFO_FIELDS) as BackupInfoKey[]) {
    const { codec, presence } = BACKUP_INFO_FIELDS[key];
    const value = info[key];
    if (value === undefined && presence !== 'always') continue;
    if ((value === null || value === undefined) && presence === 'set') continue;
    let written: string | null = null;
    if (value !== null && value !== undefined) {
      try {
        written = codec.dump(value);
      } catch (error) {
        throw new BarkeepError('internal', {
          what: 'cannot write backup.info',
          subject: `${info.backup_id}: ${key}`,
          why: error instanceof Error ? error.message : String(error),
          cause: error,
        });
      }
    }
    lines.set(key, written ?? 'None');
  }
  const names = [...lines.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => `${name}=${lines.get(name)}\n`).join('');
}

/**
 * Reads the text of a backup.info as Barman's `FieldListFile.load()` does: blank lines and `#`
 * comments skipped, `name=value` split at the first `=` and both sides stripped, `None` as
 * null, each known key through its load function. Keys barkeep does not model are kept in
 * `extra`; a missing key takes Barman's default. `backup_id` is the name of the directory that
 * holds `file`. A line without `=` or a value that does not parse is a `backupInfoInvalid`
 * error naming the file, line and key.
 */
export function parseBackupInfo(text: string, file: string): BackupInfo {
  const values: Record<string, unknown> = {};
  const extra: Record<string, string> = {};
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals < 0) throw invalid(file, `line ${index + 1} is not name=value: ${trimmed}`);
    const name = line.slice(0, equals).trim();
    const raw = line.slice(equals + 1).trim();
    if (!isBackupInfoKey(name)) {
      extra[name] = raw;
      continue;
    }
    if (raw === 'None') {
      values[name] = null;
      continue;
    }
    try {
      values[name] = BACKUP_INFO_FIELDS[name].codec.load(raw);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw invalid(file, `the value of ${name} (line ${index + 1}) does not parse: ${why}`, error);
    }
  }
  const base = emptyBackupInfo(basename(dirname(file)));
  const info = { ...base, ...values, extra } as BackupInfo;
  return info.status === null ? { ...info, status: 'EMPTY' } : info;
}

/**
 * Reads and parses a backup.info file (see {@link parseBackupInfo}); a missing file is an io
 * error. The read is synchronous: a backup.info is a few KiB, and `list-backups` of a catalog
 * with ten thousand backups spends most of its time in the four thread-pool round trips of an
 * asynchronous read otherwise.
 */
export async function readBackupInfo(path: string): Promise<BackupInfo> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw ioError('cannot read backup.info', path, error);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw invalid(path, 'it is not UTF-8 text', error);
  }
  return parseBackupInfo(text, path);
}

/**
 * Writes a backup.info durably (temporary file, fsync, rename, fsync of the directory, as
 * Barman's save() does with its `.tmp` file), creating the backup directory when missing.
 */
export async function writeBackupInfo(path: string, info: BackupInfo): Promise<void> {
  await ensureDirectory(dirname(path), 0o700);
  await writeFileDurable(path, formatBackupInfo(info), { mode: 0o600 });
}

function invalid(file: string, why: string, cause?: unknown): BarkeepError {
  return new BarkeepError('backupInfoInvalid', {
    what: 'cannot read backup.info',
    subject: file,
    why,
    ...(cause === undefined ? {} : { cause }),
  });
}
