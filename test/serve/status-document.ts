// A made-up status document of one server, for the tests of what serve renders from it.
import type { ServerStatusDocument } from '../../src/serve/serve-status.ts';

/** The document of a healthy server `name`, with the given parts replaced. */
export function statusDocument(
  name: string,
  parts: {
    backups?: Partial<ServerStatusDocument['backups']>;
    wal?: Partial<ServerStatusDocument['wal']>;
    receiver?: Partial<ServerStatusDocument['receiver']>;
    checks?: ServerStatusDocument['checks'];
    description?: string | null;
  } = {},
): ServerStatusDocument {
  return {
    name,
    description: parts.description ?? null,
    backups: {
      by_status: { DONE: 2, FAILED: 1 },
      last: {
        backup_id: '20261124T020000',
        end_time: '2026-11-24T02:00:00.000Z',
        age_seconds: 3600,
        size_bytes: 52_428_800,
      },
      schedule: '0 2 * * *',
      next_scheduled: '2026-11-25T02:00:00.000Z',
      running: false,
      last_scheduled_run: null,
      ...parts.backups,
    },
    wal: {
      archived_count: 42,
      archived_bytes: 123_456,
      last_archived_at: '2026-11-24T02:59:00.000Z',
      archive_lag_seconds: 60,
      waiting_in_incoming: 3,
      errors_count: 0,
      archiver_passes: 7,
      archiver_last_error: null,
      ...parts.wal,
    },
    receiver: {
      wanted: true,
      state: 'running',
      pid: 1234,
      restarts: 2,
      last_error: null,
      lag_bytes: 8192,
      ...parts.receiver,
    },
    checks: parts.checks ?? [
      { name: 'PostgreSQL', ok: true, hint: null },
      { name: 'WAL archive', ok: true, hint: null },
    ],
    checked_at: '2026-11-24T03:00:00.000Z',
  };
}
