import { createHash } from 'node:crypto';
import type { TimelineId } from '../wal/timeline.ts';

/** One file of a manifest barkeep writes. */
export interface ManifestFileEntry {
  /**
   * The path relative to the data directory as a byte string (one character per byte),
   * tablespace files as `pg_tblspc/<oid>/...`, as PostgreSQL names them.
   */
  readonly key: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** The WAL a backup needs, the manifest's `WAL-Ranges`. */
export interface ManifestWalRange {
  readonly timeline: TimelineId;
  /** `X/X` as PostgreSQL prints it. */
  readonly startLsn: string;
  readonly endLsn: string;
}

/**
 * A backup manifest in PostgreSQL's format (version 1, as pg_basebackup writes it), so that
 * `verify-backup` (and pg_verifybackup) can check a backup barkeep copied with rsync: one entry
 * per file, sorted, with `Path` (or `Encoded-Path`, hex, for a name that is not UTF-8), `Size`,
 * `Last-Modified` and a SHA-256 `Checksum`; the WAL range; and the `Manifest-Checksum`, the
 * SHA-256 of everything before its line.
 */
export function formatBackupManifest(
  entries: readonly ManifestFileEntry[],
  wal: ManifestWalRange,
): Buffer {
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const lines = sorted.map((entry) => {
    const bytes = Buffer.from(entry.key, 'latin1');
    const text = bytes.toString('utf8');
    const name = Buffer.from(text, 'utf8').equals(bytes)
      ? `"Path": ${JSON.stringify(text)}`
      : `"Encoded-Path": "${bytes.toString('hex')}"`;
    return `{ ${name}, "Size": ${entry.size}, "Last-Modified": "${lastModified(entry.mtimeMs)}", "Checksum-Algorithm": "SHA256", "Checksum": "${entry.sha256}" }`;
  });
  const body =
    '{ "PostgreSQL-Backup-Manifest-Version": 1,\n' +
    `"Files": [\n${lines.join(',\n')}${lines.length > 0 ? '\n' : ''}],\n` +
    '"WAL-Ranges": [\n' +
    `{ "Timeline": ${wal.timeline}, "Start-LSN": "${wal.startLsn}", "End-LSN": "${wal.endLsn}" }\n` +
    '],\n';
  const checksum = createHash('sha256').update(body, 'utf8').digest('hex');
  return Buffer.from(`${body}"Manifest-Checksum": "${checksum}"}\n`, 'utf8');
}

/** `YYYY-MM-DD HH:MM:SS GMT`, PostgreSQL's form. */
function lastModified(mtimeMs: number): string {
  return `${new Date(Math.floor(mtimeMs / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ')} GMT`;
}
