import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serverStatusDocument } from '../../src/serve/serve-status.ts';
import { diskCatalog, writeBackup, writeWal } from '../retention/disk-catalog.ts';

const archiver = {
  passes: 3,
  archivedFiles: 2,
  rejectedFiles: 0,
  lastPassAt: undefined,
  lastError: 'ERROR: lock held',
};
const health = {
  checkedAt: new Date('2026-11-24T11:59:30Z'),
  checks: [
    { name: 'PostgreSQL', ok: true },
    { name: 'WAL archive', ok: false, hint: 'no WAL yet' },
  ],
  receiverLagBytes: 4096,
};

describe('serverStatusDocument', () => {
  it('reads backups, WAL, incoming/ and errors/ from the catalog, ages from `now`', async () => {
    const { server, layout } = await diskCatalog(['description = main', 'archiver = on']);
    const wal = '000000010000000000000002';
    await writeBackup(layout, '20261122T120000', {
      beginWal: wal,
      endWal: wal,
      end: new Date('2026-11-22T12:00:00Z'),
    });
    await writeBackup(layout, '20261123T120000', {
      beginWal: wal,
      endWal: wal,
      end: new Date('2026-11-23T12:00:00Z'),
    });
    // Newer, but failed: the last backup is the newest DONE one.
    await writeBackup(layout, '20261124T110000', {
      beginWal: wal,
      endWal: wal,
      end: new Date('2026-11-24T11:00:00Z'),
      status: 'FAILED',
    });
    await writeWal(layout, [wal, '000000010000000000000003', '000000010000000000000004']);
    await utimes(layout.xlogDb, new Date('2026-11-24T11:58:00Z'), new Date('2026-11-24T11:58:00Z'));
    await writeFile(join(layout.incoming, '000000010000000000000005'), 'waiting');
    await writeFile(join(layout.incoming, 'README'), 'not WAL');
    await writeFile(join(layout.errors, `${wal}.20261124T100000Z.duplicate`), 'x');

    const now = new Date('2026-11-24T12:00:00Z');
    const doc = await serverStatusDocument(
      server,
      { receiver: undefined, archiver, scheduler: undefined, health },
      now,
    );
    assert.equal(doc.name, 'pg');
    assert.equal(doc.description, 'main');
    assert.deepEqual(doc.backups.by_status, { DONE: 2, FAILED: 1 });
    assert.equal(doc.backups.last?.backup_id, '20261123T120000');
    assert.equal(doc.backups.last?.age_seconds, 86_400);
    assert.equal(doc.backups.last?.size_bytes, 100);
    assert.equal(doc.backups.schedule, null);
    assert.deepEqual(doc.wal, {
      archived_count: 3,
      archived_bytes: 3000,
      last_archived_at: '2026-11-24T11:58:00.000Z',
      archive_lag_seconds: 120,
      waiting_in_incoming: 1,
      errors_count: 1,
      archiver_passes: 3,
      archiver_last_error: 'ERROR: lock held',
    });
    assert.deepEqual(doc.receiver, {
      wanted: false,
      state: 'off',
      pid: null,
      restarts: 0,
      last_error: null,
      lag_bytes: 4096,
    });
    assert.deepEqual(doc.checks, [
      { name: 'PostgreSQL', ok: true, hint: null },
      { name: 'WAL archive', ok: false, hint: 'no WAL yet' },
    ]);
    assert.equal(doc.checked_at, '2026-11-24T11:59:30.000Z');
  });

  it('reports an empty catalog and the live receiver and schedule', async () => {
    const { server } = await diskCatalog(['streaming_archiver = on', 'slot_name = s']);
    const doc = await serverStatusDocument(server, {
      receiver: {
        state: 'restarting',
        pid: undefined,
        restarts: 4,
        since: undefined,
        lastError: 'ERROR: connection refused',
      },
      archiver: { ...archiver, lastError: undefined },
      scheduler: {
        schedule: '30 2 * * *',
        next: new Date('2026-11-25T02:30:00Z'),
        running: true,
        lastRun: { at: new Date('2026-11-24T02:31:00Z'), ok: false, detail: 'ERROR: x' },
      },
      health: { checkedAt: undefined, checks: [], receiverLagBytes: undefined },
    });
    assert.equal(doc.backups.last, null);
    assert.deepEqual(doc.backups.by_status, {});
    assert.equal(doc.backups.schedule, '30 2 * * *');
    assert.equal(doc.backups.next_scheduled, '2026-11-25T02:30:00.000Z');
    assert.equal(doc.backups.running, true);
    assert.deepEqual(doc.backups.last_scheduled_run, {
      at: '2026-11-24T02:31:00.000Z',
      ok: false,
      detail: 'ERROR: x',
    });
    assert.equal(doc.wal.archived_count, 0);
    assert.equal(doc.wal.archive_lag_seconds, null);
    assert.equal(doc.wal.last_archived_at, null);
    assert.deepEqual(doc.receiver, {
      wanted: true,
      state: 'restarting',
      pid: null,
      restarts: 4,
      last_error: 'ERROR: connection refused',
      lag_bytes: null,
    });
    assert.equal(doc.checked_at, null);
  });
});
