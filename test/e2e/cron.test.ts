// barkeep cron as the system's cron runs it every minute: WAL copied into incoming/ archived, a
// receiver started in the background and found running the next time, retention applied.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type ArchivedServer, startArchivedServer } from '../support/archived-server.ts';
import { waitFor } from '../support/receiver.ts';
import { backup } from '../support/recover-steps.ts';

describe('cron', () => {
  let server: ArchivedServer;
  let receiverPid: string;
  before(async () => {
    server = await startArchivedServer({
      label: 'e2e-cron',
      shipping: 'incoming',
      serverLines: [
        'streaming_archiver = on',
        'slot_name = barkeep_cron',
        'create_slot = auto',
        'retention_policy = REDUNDANCY 1',
      ],
    });
    await server.cluster.query('CREATE TABLE t AS SELECT generate_series(1, 100) AS g');
  });
  after(async () => {
    await server?.barkeep(['receive-wal', '--stop', 'pg']);
    await server?.stop();
  });

  it('archives what waits in incoming/ and starts the receiver in the background', async () => {
    const [row] = await server.cluster.query<{ name: string }>(
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    await server.cluster.query('SELECT pg_switch_wal()');
    await waitFor(() => readdirSync(server.layout.incoming).includes(row!.name), 'copied');
    // cp may still be writing it: a pass defers a file still arriving, the next takes it.
    await waitFor(async () => {
      const run = await server.barkeep(['cron']);
      assert.equal(run.code, 0, run.stderr);
      return !readdirSync(server.layout.incoming).includes(row!.name);
    }, `${row!.name} archived by cron`);
    await waitFor(async () => {
      const rows = await server.cluster.query(
        "SELECT 1 FROM pg_stat_replication WHERE application_name = 'barkeep_receive_wal' AND state = 'streaming'",
      );
      return rows.length === 1;
    }, 'the receiver cron started streams');
    const run = await server.barkeep(['cron']);
    assert.equal(run.code, 0, run.stderr);
    const match = /^pg: archive-wal: \d+ archived; receive-wal: running \(PID (\d+)\)/m.exec(
      run.stdout,
    );
    assert.ok(match, run.stdout);
    receiverPid = match[1]!;
    await server.cluster.query('INSERT INTO t SELECT generate_series(1, 100)');
    await waitFor(
      () => readdirSync(server.layout.streaming).some((name) => name.endsWith('.partial')),
      'the .partial the background receiver writes',
    );
  });

  it('applies retention, and leaves the running receiver alone', async () => {
    await backup(server);
    await backup(server);
    const run = await server.barkeep(['cron']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`receive-wal: running \\(PID ${receiverPid}\\)`));
    assert.match(run.stdout, /retention: 1 backup\(s\), \d+ WAL file\(s\) deleted/);
    const list = await server.barkeep(['list-backups', '--minimal', 'pg']);
    assert.equal(list.stdout.trim().split('\n').length, 1);
  });
});
