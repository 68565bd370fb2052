// A standby promoted to timeline 2 while barkeep streams from it: the receiver follows the new
// timeline, stores its .history, and the first segment of timeline 2 matches the server's.
import assert from 'node:assert/strict';
import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ArchivedServer, startArchivedServer } from '../support/archived-server.ts';
import { lookupOsUser, smokeVersions } from '../support/cluster.ts';
import {
  newestPartial,
  type RunningReceiver,
  startReceiver,
  waitFor,
} from '../support/receiver.ts';

for (const major of smokeVersions()) {
  describe(`receive-wal follows a promotion, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    let receiver: RunningReceiver | undefined;

    before(async () => {
      server = await startArchivedServer({
        major,
        label: 'e2e-promote',
        serverLines: ['streaming_archiver = on'],
        settings: { hot_standby: 'on' },
      });
      await server.cluster.query('CREATE TABLE t AS SELECT generate_series(1, 1000) AS g');
      const signal = join(server.cluster.dataDir, 'standby.signal');
      writeFileSync(signal, '');
      if (process.getuid?.() === 0) {
        const user = lookupOsUser(server.cluster.osUser);
        chownSync(signal, user.uid, user.gid);
      }
      await server.cluster.restart();
      server.writeConfig(['streaming_archiver = on']);
    });
    after(async () => {
      await receiver?.kill();
      await server?.stop();
    });

    it('streams from the standby, then follows timeline 2 after pg_promote()', async () => {
      receiver = startReceiver(server);
      await waitFor(
        async () => (await newestPartial(server)) !== undefined,
        'streaming from the standby',
      );
      await server.cluster.query('SELECT pg_promote(true, 60)');
      await waitFor(
        () => existsSync(join(server.layout.streaming, '00000002.history')),
        `00000002.history (receiver said: ${receiver?.output()})`,
      );
      const history = readFileSync(join(server.layout.streaming, '00000002.history'));
      assert.ok(
        history.equals(readFileSync(join(server.cluster.dataDir, 'pg_wal', '00000002.history'))),
      );

      await server.cluster.query('INSERT INTO t SELECT generate_series(1, 20000)');
      const [row] = await server.cluster.query<{ name: string }>(
        'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
      );
      assert.match(row!.name, /^00000002/);
      await server.cluster.query('SELECT pg_switch_wal()');
      await server.cluster.query('INSERT INTO t VALUES (0)');
      await waitFor(
        () => existsSync(join(server.layout.streaming, row!.name)),
        `${row!.name} streamed`,
      );
      const streamed = readFileSync(join(server.layout.streaming, row!.name));
      assert.ok(
        streamed.equals(readFileSync(join(server.cluster.dataDir, 'pg_wal', row!.name))),
        'the first timeline-2 segment is byte-identical',
      );
      assert.equal(receiver.child.exitCode, null, receiver.output());
    });
  });
}
