import type { Client } from 'pg';
import { runQuery } from './run-query.ts';

/** PostgreSQL's own view of its archiver (pg_stat_archiver), readable by any role. */
export interface ArchiverStats {
  readonly archivedCount: number;
  readonly lastArchivedWal: string | undefined;
  readonly lastArchivedTime: Date | undefined;
  readonly failedCount: number;
  readonly lastFailedWal: string | undefined;
  readonly lastFailedTime: Date | undefined;
}

/**
 * Reads pg_stat_archiver: how many files archive_command has shipped and whether its last
 * attempt failed, which `check` reports as `continuous archiving`.
 */
export async function readArchiverStats(client: Client): Promise<ArchiverStats> {
  const [row] = await runQuery<{
    archived_count: string;
    last_archived_wal: string | null;
    last_archived_time: Date | null;
    failed_count: string;
    last_failed_wal: string | null;
    last_failed_time: Date | null;
  }>(
    client,
    `SELECT archived_count, last_archived_wal, last_archived_time,
            failed_count, last_failed_wal, last_failed_time
       FROM pg_catalog.pg_stat_archiver`,
  );
  return {
    archivedCount: Number(row?.archived_count ?? 0),
    lastArchivedWal: row?.last_archived_wal ?? undefined,
    lastArchivedTime: row?.last_archived_time ?? undefined,
    failedCount: Number(row?.failed_count ?? 0),
    lastFailedWal: row?.last_failed_wal ?? undefined,
    lastFailedTime: row?.last_failed_time ?? undefined,
  };
}
