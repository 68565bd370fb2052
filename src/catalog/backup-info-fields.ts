import type { BackupInfo, CopyStats, Tablespace } from './backup-info.ts';
import { BACKUP_STATUSES, type BackupStatus, isBackupStatus } from './backup-status.ts';
import { type BackupTimestamp, parseBackupTimestamp } from './backup-timestamp.ts';
import {
  formatPyLiteral,
  isPyDict,
  isPyTuple,
  PyLiteralError,
  type PyValue,
  pyDict,
  pyTuple,
} from './python-literal.ts';
import { parsePyLiteral } from './python-literal-parser.ts';

/**
 * How one backup.info key is read and written: Barman's `Field(load=..., dump=...)`. `load` gets
 * the stripped text after `=` (never `None`, which means null for every key) and throws
 * PyLiteralError when it does not parse; `dump` returns the text to write, or null for `None`
 * (Barman's `null_repr` writes an empty list, dict or string as `None`).
 */
export interface FieldCodec<T> {
  load(text: string): T;
  dump(value: T): string | null;
}

/**
 * When a key is written: `always` (Barman 3.4's keys, `None` when null), `present` (keys newer
 * Barman added: left out while undefined), `set` (Barman's `_hide_if_null`: left out while null).
 */
export type FieldPresence = 'always' | 'present' | 'set';

/** The keys of backup.info that barkeep models, i.e. BackupInfo without its own two. */
export type BackupInfoKey = Exclude<keyof BackupInfo, 'backup_id' | 'extra'>;

/** A key's codec and when it is written. */
export interface FieldSpec {
  readonly codec: FieldCodec<unknown>;
  readonly presence: FieldPresence;
}

/** Raw text (Barman's fields without load/dump). A line break would end the line: a space. */
const text: FieldCodec<string> = {
  load: (value) => value,
  dump: (value) => value.replace(/\r\n|[\r\n]/g, ' '),
};

/** Python's int(): digits with an optional sign and `_` separators. */
const int: FieldCodec<number> = {
  load(value) {
    if (!/^[+-]?\d+(?:_\d+)*$/.test(value)) throw new PyLiteralError(`'${value}' is not an int`);
    const number = Number(value.replaceAll('_', ''));
    if (!Number.isSafeInteger(number)) throw new PyLiteralError(`${value} is too large`);
    return number;
  },
  dump(value) {
    if (!Number.isSafeInteger(value)) throw new PyLiteralError(`${value} is not an int`);
    return String(value);
  },
};

const timestamp: FieldCodec<BackupTimestamp> = {
  load(value) {
    const parsed = parseBackupTimestamp(value);
    if (!parsed) throw new PyLiteralError(`'${value}' is not a date and time`);
    return parsed;
  },
  dump: (value) => value.text,
};

const status: FieldCodec<BackupStatus> = {
  load(value) {
    if (!isBackupStatus(value)) {
      throw new PyLiteralError(`'${value}' is not one of ${BACKUP_STATUSES.join(', ')}`);
    }
    return value;
  },
  dump: (value) => value,
};

/** A Python str literal (backup_label). */
const literalString: FieldCodec<string> = {
  load: (value) => expectString(parsePyLiteral(value), 'a str'),
  dump: (value) => (value === '' ? null : formatPyLiteral(value)),
};

/** A Python list of str literals (included_files). */
const literalStringList: FieldCodec<readonly string[]> = {
  load(value) {
    const parsed = parsePyLiteral(value);
    if (!Array.isArray(parsed)) throw new PyLiteralError('a list of str is expected');
    return (parsed as readonly PyValue[]).map((item) => expectString(item, 'a list of str'));
  },
  dump: (value) => (value.length === 0 ? null : formatPyLiteral(value)),
};

/** A Python dict with str keys (copy_stats). */
const literalStringDict: FieldCodec<CopyStats> = {
  load(value) {
    const parsed = parsePyLiteral(value);
    if (!isPyDict(parsed)) throw new PyLiteralError('a dict is expected');
    const record: Record<string, PyValue> = {};
    for (const [key, item] of parsed.entries)
      record[expectString(key, 'a dict with str keys')] = item;
    return record;
  },
  dump: (value) => (Object.keys(value).length === 0 ? null : formatPyLiteral(pyDict(value))),
};

/** A list of `(name, oid, location)` tuples (Barman reads lists of lists as well). */
const tablespaceList: FieldCodec<readonly Tablespace[]> = {
  load(value) {
    const parsed = parsePyLiteral(value);
    if (!Array.isArray(parsed)) throw new PyLiteralError('a list of tablespaces is expected');
    return (parsed as readonly PyValue[]).map((item) => {
      const parts = isPyTuple(item) ? item.items : Array.isArray(item) ? item : [];
      const [name, oid, location] = parts as readonly PyValue[];
      if (parts.length !== 3 || typeof oid !== 'bigint') {
        throw new PyLiteralError('a tablespace is expected as (name, oid, location)');
      }
      return {
        name: expectString(name ?? null, 'a str tablespace name'),
        oid: Number(oid),
        location: expectString(location ?? null, 'a str tablespace location'),
      };
    });
  },
  dump: (value) =>
    value.length === 0
      ? null
      : formatPyLiteral(value.map((t) => pyTuple(t.name, BigInt(t.oid), t.location))),
};

/** Backup IDs joined by commas (children_backup_ids). */
const idList: FieldCodec<readonly string[]> = {
  load: (value) => value.split(','),
  dump: (value) => (value.length === 0 ? null : value.join(',')),
};

/** Every key barkeep models, with Barman's codec and when it is written. */
export const BACKUP_INFO_FIELDS: Readonly<Record<BackupInfoKey, FieldSpec>> = Object.freeze({
  backup_label: { codec: literalString, presence: 'always' },
  backup_name: { codec: text, presence: 'set' },
  begin_offset: { codec: int, presence: 'always' },
  begin_time: { codec: timestamp, presence: 'always' },
  begin_wal: { codec: text, presence: 'always' },
  begin_xlog: { codec: text, presence: 'always' },
  children_backup_ids: { codec: idList, presence: 'present' },
  cluster_size: { codec: int, presence: 'present' },
  compression: { codec: text, presence: 'always' },
  config_file: { codec: text, presence: 'always' },
  copy_stats: { codec: literalStringDict, presence: 'always' },
  data_checksums: { codec: text, presence: 'present' },
  deduplicated_size: { codec: int, presence: 'always' },
  end_offset: { codec: int, presence: 'always' },
  end_time: { codec: timestamp, presence: 'always' },
  end_wal: { codec: text, presence: 'always' },
  end_xlog: { codec: text, presence: 'always' },
  error: { codec: text, presence: 'always' },
  hba_file: { codec: text, presence: 'always' },
  ident_file: { codec: text, presence: 'always' },
  included_files: { codec: literalStringList, presence: 'always' },
  mode: { codec: text, presence: 'always' },
  parent_backup_id: { codec: text, presence: 'present' },
  pgdata: { codec: text, presence: 'always' },
  server_name: { codec: text, presence: 'always' },
  size: { codec: int, presence: 'always' },
  status: { codec: status, presence: 'always' },
  summarize_wal: { codec: text, presence: 'present' },
  systemid: { codec: text, presence: 'always' },
  tablespaces: { codec: tablespaceList, presence: 'always' },
  timeline: { codec: int, presence: 'always' },
  version: { codec: int, presence: 'always' },
  xlog_segment_size: { codec: int, presence: 'always' },
});

/** True when `key` is one barkeep models (rather than one kept in `extra`). */
export function isBackupInfoKey(key: string): key is BackupInfoKey {
  return Object.hasOwn(BACKUP_INFO_FIELDS, key);
}

function expectString(value: PyValue, what: string): string {
  if (typeof value !== 'string') throw new PyLiteralError(`${what} is expected`);
  return value;
}
