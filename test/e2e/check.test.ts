// The operator's view: the built CLI, a real cluster, `check` before and after the cluster stops.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBarkeep } from '../support/cli.ts';
import { smokeVersions, startThrowawayCluster, type ThrowawayCluster } from '../support/cluster.ts';

for (const major of smokeVersions()) {
  describe(`barkeep check, end to end, PostgreSQL ${major}`, () => {
    let dir: string;
    let cluster: ThrowawayCluster;
    const config = (global: string) =>
      [
        `[${global}]`,
        `barman_home = ${join(dir, 'home')}`,
        '',
        '[pg]',
        'description = e2e cluster',
        `conninfo = ${cluster.conninfo()}`,
        `streaming_conninfo = ${cluster.conninfo()}`,
        'archiver = on',
        'streaming_archiver = on',
        '',
      ].join('\n');

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'barkeep-e2e-check-'));
      cluster = await startThrowawayCluster({
        major,
        label: 'e2e-check',
        settings: { archive_mode: 'on', archive_command: 'true' },
      });
      await writeFile(join(dir, 'barkeep.conf'), config('barkeep'));
      await writeFile(join(dir, 'barman.conf'), config('barman'));
    });
    after(async () => {
      await cluster?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('prints one OK line per check and exits 0 against a live cluster', async () => {
      const run = await runBarkeep(['-c', join(dir, 'barkeep.conf'), 'check', 'pg']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const lines = run.stdout.trimEnd().split('\n');
      assert.equal(lines[0], 'Server pg:');
      assert.ok(lines.length >= 9);
      for (const line of lines.slice(1)) assert.match(line, /^\t[^:]+: OK( \(.*\))?$/);
    });

    it('behaves the same with a [barman] global section', async () => {
      const viaBarkeep = await runBarkeep(['-c', join(dir, 'barkeep.conf'), 'check', 'pg']);
      const viaBarman = await runBarkeep(['-c', join(dir, 'barman.conf'), 'check', 'pg']);
      assert.equal(viaBarman.code, 0, viaBarman.stderr);
      assert.equal(viaBarman.stdout, viaBarkeep.stdout);
    });

    it('gives JSON and Nagios forms', async () => {
      const json = await runBarkeep([
        '-c',
        join(dir, 'barkeep.conf'),
        '-f',
        'json',
        'check',
        'all',
      ]);
      const document = JSON.parse(json.stdout);
      assert.equal(document.pg.PostgreSQL.status, 'OK');
      const nagios = await runBarkeep([
        '-c',
        join(dir, 'barkeep.conf'),
        'check',
        'all',
        '--nagios',
      ]);
      assert.equal(nagios.stdout, 'BARKEEP OK - Ready to serve backups for 1 server\n');
    });

    it('exits 2 naming key, file and line for a misspelt key', async () => {
      const bad = join(dir, 'typo.conf');
      await writeFile(bad, config('barkeep').replace('archiver = on', 'archivr = on'));
      const run = await runBarkeep(['-c', bad, 'check', 'pg']);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.equal(
        run.stderr,
        `ERROR: invalid configuration '${bad}:8': unknown key 'archivr' in [pg]. Did you mean 'archiver'?\n`,
      );
    });

    it('exits 3 once the cluster has stopped', async () => {
      await cluster.stop();
      const run = await runBarkeep(['-c', join(dir, 'barkeep.conf'), 'check', 'pg']);
      assert.equal(run.code, 3, run.stdout + run.stderr);
      assert.match(run.stdout, /\tPostgreSQL: FAILED \(/);
      assert.match(run.stdout, /\tPostgreSQL streaming: FAILED \(/);
      const nagios = await runBarkeep(['-c', join(dir, 'barkeep.conf'), 'check', 'pg', '--nagios']);
      assert.equal(nagios.code, 3);
      assert.match(
        nagios.stdout,
        /^BARKEEP CRITICAL - server pg has issues \* pg FAILED: PostgreSQL/,
      );
    });
  });
}
