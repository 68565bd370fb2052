import type { Client } from 'pg';
import { type BackupTimestamp, backupTimestamp } from '../catalog/backup-timestamp.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { runQuery } from '../postgres/run-query.ts';
import { type Lsn, parseLsn } from '../wal/lsn.ts';
import { type TimelineId, toTimelineId } from '../wal/timeline.ts';

/** What PostgreSQL said when the backup started. */
export interface StartedBackup {
  /** The redo point the backup starts from (`pg_backup_start`'s result). */
  readonly startLsn: Lsn;
  /**
   * The server's clock once the start checkpoint is done: every change written before it is on
   * disk when the copy begins (the reuse horizon of the next rsync backup).
   */
  readonly startedAt: BackupTimestamp;
}

/** What `pg_backup_stop` returned. */
export interface StoppedBackup {
  readonly endLsn: Lsn;
  /** The `backup_label` the copy must hold. */
  readonly backupLabel: string;
  /** The `tablespace_map`; '' without tablespaces. */
  readonly tablespaceMap: string;
  /** The server's clock when the backup ended. */
  readonly stoppedAt: BackupTimestamp;
}

/** The start position and timeline a backup_label names. */
export interface BackupLabelFacts {
  readonly startLsn: Lsn;
  readonly timeline: TimelineId;
}

/**
 * Starts a non-exclusive backup on `client` (`pg_backup_start(label, fast)` on 15+,
 * `pg_start_backup(label, fast, false)` on 14). The backup belongs to this session: keep the
 * connection open until {@link stopBackup}; if it drops, PostgreSQL aborts the backup. Session
 * timeouts are switched off first so a long copy does not end it.
 */
export async function startBackup(
  client: Client,
  serverVersionNum: number,
  label: string,
  fast: boolean,
): Promise<StartedBackup> {
  await runQuery(client, 'SET statement_timeout = 0');
  if (serverVersionNum >= 140000) await runQuery(client, 'SET idle_session_timeout = 0');
  const start =
    serverVersionNum >= 150000
      ? 'SELECT pg_backup_start($1, $2)::text AS lsn'
      : 'SELECT pg_start_backup($1, $2, false)::text AS lsn';
  const [row] = await runQuery<{ lsn: string }>(client, start, [label, fast]);
  // Asked only once the start returned, so after its checkpoint.
  const [clock] = await runQuery<{ at: string }>(
    client,
    'SELECT extract(epoch FROM clock_timestamp())::text AS at',
  );
  return { startLsn: parseLsn(row!.lsn), startedAt: serverTime(clock!.at) };
}

/**
 * Ends the backup started by {@link startBackup} on the same session and returns the files it
 * must hold. It does not wait for the last segment to be archived (as the postgres method's
 * NOWAIT): `backup --wait` waits for the WAL in barkeep's catalog instead.
 */
export async function stopBackup(client: Client, serverVersionNum: number): Promise<StoppedBackup> {
  const stop =
    serverVersionNum >= 150000
      ? 'SELECT lsn::text AS lsn, labelfile, spcmapfile, extract(epoch FROM clock_timestamp())::text AS at FROM pg_backup_stop(false)'
      : 'SELECT lsn::text AS lsn, labelfile, spcmapfile, extract(epoch FROM clock_timestamp())::text AS at FROM pg_stop_backup(false, false)';
  const [row] = await runQuery<{
    lsn: string;
    labelfile: string | null;
    spcmapfile: string | null;
    at: string;
  }>(client, stop);
  if (!row?.labelfile) {
    throw new BarkeepError('operationFailed', {
      what: 'backup stop returned no backup_label',
      subject: 'pg_backup_stop',
      why: 'the server ended the backup without the label the copy needs',
    });
  }
  return {
    endLsn: parseLsn(row.lsn),
    backupLabel: row.labelfile,
    tablespaceMap: row.spcmapfile ?? '',
    stoppedAt: serverTime(row.at),
  };
}

/**
 * Reads `START WAL LOCATION` and `START TIMELINE` from a backup_label (PostgreSQL 11+ writes
 * both).
 *
 * @throws BarkeepError `operationFailed` when either line is missing.
 */
export function parseBackupLabel(label: string): BackupLabelFacts {
  const location = /^START WAL LOCATION: ([0-9A-Fa-f]+\/[0-9A-Fa-f]+)/m.exec(label);
  const timeline = /^START TIMELINE: (\d+)/m.exec(label);
  if (!location || !timeline) {
    throw new BarkeepError('operationFailed', {
      what: 'unexpected backup_label',
      subject: 'pg_backup_stop',
      why: 'it has no START WAL LOCATION or START TIMELINE line',
    });
  }
  return { startLsn: parseLsn(location[1]!), timeline: toTimelineId(Number(timeline[1])) };
}

/** A server time given as seconds since the epoch (`6` decimals), in the local zone. */
function serverTime(epoch: string): BackupTimestamp {
  const match = /^(\d+)(?:\.(\d{1,6}))?/.exec(epoch);
  if (!match) {
    throw new BarkeepError('internal', {
      what: 'unreadable server time',
      subject: epoch,
      why: 'clock_timestamp() did not come back as seconds since the epoch',
    });
  }
  const microsecond = Number((match[2] ?? '').padEnd(6, '0'));
  const date = new Date(Number(match[1]) * 1000 + Math.floor(microsecond / 1000));
  return backupTimestamp(date, { microsecond });
}
