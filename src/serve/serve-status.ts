import { readdir, stat } from 'node:fs/promises';
import { listErrors } from '../archive/errors-directory.ts';
import { readSegmentSizes } from '../archive/xlog-db.ts';
import { listBackups } from '../catalog/backup-catalog.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import type { ScheduledBackupState } from './backup-scheduler.ts';
import type { ServerHealth } from './server-health.ts';
import type { ReceiverState } from './supervised-receiver.ts';
import type { ArchiverState } from './wal-archiver-loop.ts';

/** What `serve` knows of one server at one moment: the document behind `/api/status`. */
export interface ServerStatusDocument {
  readonly name: string;
  readonly description: string | null;
  readonly backups: {
    readonly by_status: Readonly<Record<string, number>>;
    readonly last: {
      readonly backup_id: string;
      readonly end_time: string | null;
      readonly age_seconds: number | null;
      readonly size_bytes: number | null;
    } | null;
    readonly schedule: string | null;
    readonly next_scheduled: string | null;
    readonly running: boolean;
    readonly last_scheduled_run: { at: string; ok: boolean; detail: string } | null;
  };
  readonly wal: {
    readonly archived_count: number;
    readonly archived_bytes: number;
    readonly last_archived_at: string | null;
    readonly archive_lag_seconds: number | null;
    readonly waiting_in_incoming: number;
    readonly errors_count: number;
    readonly archiver_passes: number;
    readonly archiver_last_error: string | null;
  };
  readonly receiver: {
    readonly wanted: boolean;
    readonly state: string;
    readonly pid: number | null;
    readonly restarts: number;
    readonly last_error: string | null;
    readonly lag_bytes: number | null;
  };
  readonly checks: readonly { name: string; ok: boolean; hint: string | null }[];
  readonly checked_at: string | null;
}

/** The live parts `serve` holds for a server (the rest is read from its catalog). */
export interface ServerLiveState {
  readonly receiver: ReceiverState | undefined;
  readonly archiver: ArchiverState;
  readonly scheduler: ScheduledBackupState | undefined;
  readonly health: ServerHealth;
}

/**
 * Builds the status of one server from its catalog (backups by status, the newest DONE one, the
 * WAL index, `incoming/`, `errors/`) and what `serve` keeps live (receiver, archiver, schedule,
 * checks). `now` makes ages testable.
 */
export async function serverStatusDocument(
  server: ServerConfig,
  live: ServerLiveState,
  now: Date = new Date(),
): Promise<ServerStatusDocument> {
  const layout = serverLayout(server.name, server.settings);
  const { backups } = await listBackups(layout);
  const byStatus: Record<string, number> = {};
  for (const info of backups) byStatus[info.status] = (byStatus[info.status] ?? 0) + 1;
  const last = [...backups].reverse().find((info) => info.status === 'DONE');
  // Cheap at a million segments: the index scanned into numbers, and its modification time as
  // the time of the newest archived segment (xlog.db is appended to as each one is stored).
  const wal = await readSegmentSizes(layout);
  const indexed = await stat(layout.xlogDb).catch(() => undefined);
  const newest = wal.sizes.length > 0 && indexed ? indexed.mtimeMs / 1000 : 0;
  let archivedBytes = 0;
  for (const size of wal.sizes) archivedBytes += size;
  const incoming = await readdir(layout.incoming).catch(() => [] as string[]);
  const seconds = (date: Date | undefined) =>
    date ? Math.max(0, (now.getTime() - date.getTime()) / 1000) : null;
  const endTime = last?.end_time?.date;
  const { receiver, archiver, scheduler, health } = live;
  return {
    name: server.name,
    description: server.settings.description ?? null,
    backups: {
      by_status: byStatus,
      last: last
        ? {
            backup_id: last.backup_id,
            end_time: endTime?.toISOString() ?? null,
            age_seconds: seconds(endTime),
            size_bytes: last.size,
          }
        : null,
      schedule: scheduler?.schedule ?? null,
      next_scheduled: scheduler?.next?.toISOString() ?? null,
      running: scheduler?.running ?? false,
      last_scheduled_run: scheduler?.lastRun
        ? { ...scheduler.lastRun, at: scheduler.lastRun.at.toISOString() }
        : null,
    },
    wal: {
      archived_count: wal.sizes.length,
      archived_bytes: archivedBytes,
      last_archived_at: newest > 0 ? new Date(newest * 1000).toISOString() : null,
      archive_lag_seconds: newest > 0 ? seconds(new Date(newest * 1000)) : null,
      waiting_in_incoming: incoming.filter((name) => /^[0-9A-F]{24}/.test(name)).length,
      errors_count: (await listErrors(layout)).length,
      archiver_passes: archiver.passes,
      archiver_last_error: archiver.lastError ?? null,
    },
    receiver: {
      wanted: server.settings.streaming_archiver,
      state: receiver?.state ?? 'off',
      pid: receiver?.pid ?? null,
      restarts: receiver?.restarts ?? 0,
      last_error: receiver?.lastError ?? null,
      lag_bytes: health.receiverLagBytes ?? null,
    },
    checks: health.checks.map((check) => ({
      name: check.name,
      ok: check.ok,
      hint: check.hint ?? null,
    })),
    checked_at: health.checkedAt?.toISOString() ?? null,
  };
}
