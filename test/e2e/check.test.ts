// The operator's view: the built CLI, a real cluster archiving through put-wal, `check` before
// and after the cluster stops.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { smokeVersions } from '../support/cluster.ts';
import {
  newestPartial,
  type RunningReceiver,
  startReceiver,
  waitFor,
} from '../support/receiver.ts';

for (const major of smokeVersions()) {
  describe(`barkeep check, end to end, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    let receiver: RunningReceiver | undefined;
    let barmanConfig: string;

    before(async () => {
      server = await startArchivedServer({
        major,
        label: 'e2e-check',
        serverLines: [
          'description = e2e cluster',
          'streaming_archiver = on',
          'slot_name = barkeep',
          'create_slot = auto',
        ],
      });
      receiver = startReceiver(server);
      await waitFor(
        async () => (await newestPartial(server)) !== undefined,
        'the receiver to stream',
      );
      barmanConfig = join(server.dir, 'barman.conf');
      writeFileSync(
        barmanConfig,
        readFileSync(server.configFile, 'utf8').replace('[barkeep]', '[barman]'),
      );
      shareWithPostgres(barmanConfig);
      const switched = await server.barkeep(['switch-wal', '--force', '--archive', 'pg']);
      assert.equal(switched.code, 0, switched.stderr);
      assert.match(switched.stdout, /^pg: closed [0-9A-F]{24}, archived\n$/);
    });
    after(async () => {
      await receiver?.kill();
      await server?.stop();
    });

    it('prints one OK line per check and exits 0 against a live cluster', async () => {
      const run = await server.barkeep(['check', 'pg']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const lines = run.stdout.trimEnd().split('\n');
      assert.equal(lines[0], 'Server pg:');
      assert.equal(lines.length, 16, run.stdout);
      for (const line of lines.slice(1)) assert.match(line, /^\t[^:]+: OK( \(.*\))?$/);
    });

    it('behaves the same with a [barman] global section', async () => {
      const viaBarkeep = await server.barkeep(['check', 'pg']);
      const viaBarman = await server.barkeep(['-c', barmanConfig, 'check', 'pg']);
      assert.equal(viaBarman.code, 0, viaBarman.stderr);
      assert.equal(viaBarman.stdout, viaBarkeep.stdout);
    });

    it('gives JSON and Nagios forms', async () => {
      const json = await server.barkeep(['-f', 'json', 'check', 'all']);
      const document = JSON.parse(json.stdout);
      assert.equal(document.pg.PostgreSQL.status, 'OK');
      assert.equal(document.pg['WAL archive'].status, 'OK');
      const nagios = await server.barkeep(['check', 'all', '--nagios']);
      assert.equal(nagios.stdout, 'BARKEEP OK - Ready to serve backups for 1 server\n');
    });

    it('exits 2 naming key, file and line for a misspelt key', async () => {
      const bad = join(server.dir, 'typo.conf');
      const text = readFileSync(server.configFile, 'utf8').replace('archiver = on', 'archivr = on');
      const line = text.split('\n').indexOf('archivr = on') + 1;
      writeFileSync(bad, text);
      shareWithPostgres(bad);
      const run = await server.barkeep(['-c', bad, 'check', 'pg']);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.equal(
        run.stderr,
        `ERROR: invalid configuration '${bad}:${line}': unknown key 'archivr' in [pg]. Did you mean 'archiver'?\n`,
      );
    });

    it('exits 3 once the cluster has stopped', async () => {
      await server.cluster.stop();
      const run = await server.barkeep(['check', 'pg']);
      assert.equal(run.code, 3, run.stdout + run.stderr);
      assert.match(run.stdout, /\tPostgreSQL: FAILED \(/);
      assert.match(run.stdout, /\tPostgreSQL streaming: FAILED \(/);
      const nagios = await server.barkeep(['check', 'pg', '--nagios']);
      assert.equal(nagios.code, 3);
      assert.match(
        nagios.stdout,
        /^BARKEEP CRITICAL - server pg has issues \* pg FAILED: PostgreSQL/,
      );
    });
  });
}
