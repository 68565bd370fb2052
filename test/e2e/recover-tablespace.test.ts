// `recover --tablespace NAME:DIR` of a cluster with a tablespace, from a plain backup and from
// a zstd-compressed one (recovered by root: the unpacked files and directories go to postgres):
// the tablespace lands in its new place, pg_tablespace_location says so, its rows are all there.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { smokeVersions } from '../support/cluster.ts';
import {
  addRows,
  archiveCurrentSegment,
  backup,
  recover,
  settleStops,
} from '../support/recover-steps.ts';
import { startRecoveredCluster } from '../support/recovered-cluster.ts';

for (const major of smokeVersions()) {
  describe(`recover with tablespaces and compression, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    let tablespace: string;
    let total = 0;

    before(async () => {
      server = await startArchivedServer({ major, label: 'e2e-recover-ts' });
      tablespace = join(server.dir, 'ts-original');
      mkdirSync(tablespace);
      shareWithPostgres(tablespace);
      await server.cluster.query(`CREATE TABLESPACE ts1 LOCATION '${tablespace}'`);
      await server.cluster.query('CREATE TABLE t (g int)');
      await server.cluster.query('CREATE TABLE in_ts (g int) TABLESPACE ts1');
      await addRows(server, 100);
      await addRows(server, 250, 'in_ts');
    });
    after(async () => {
      await settleStops();
      await server?.stop();
    });

    for (const compression of ['none', 'zstd']) {
      it(`--tablespace relocates the tablespace of a ${compression === 'none' ? 'plain' : 'zstd-compressed'} backup${compression === 'none' ? '' : ', recovered by root'}`, async () => {
        if (compression !== 'none') server.writeConfig([`backup_compression = ${compression}`]);
        await backup(server);
        const list = await server.barkeep(['-f', 'json', 'show-backup', server.name, 'latest']);
        assert.equal(list.code, 0, list.stderr);
        if (compression !== 'none') assert.match(list.stdout, /zstd/);
        total = await addRows(server, 50, 'in_ts');
        await archiveCurrentSegment(server);

        const target = join(server.dir, `ts-${compression}`);
        const data = join(server.dir, `recovered-ts-${compression}`);
        // The compressed one as root: unpacked directories must be given to postgres too.
        await recover(
          server,
          ['--tablespace', `ts1:${target}`, server.name, 'latest', data],
          compression !== 'none',
        );
        assert.ok(readdirSync(target).length > 0, 'the tablespace was restored in its new place');
        assert.deepEqual(readdirSync(tablespace).length > 0, true, 'the original is untouched');
        const recovered = await startRecoveredCluster(data, major);
        try {
          await recovered.waitUntilPromoted(90_000);
          const [count] = await recovered.query<{ n: string }>('SELECT count(*) AS n FROM in_ts');
          assert.equal(Number(count!.n), total);
          const [other] = await recovered.query<{ n: string }>('SELECT count(*) AS n FROM t');
          assert.equal(Number(other!.n), 100);
          const [location] = await recovered.query<{ path: string }>(
            "SELECT pg_tablespace_location(oid) AS path FROM pg_tablespace WHERE spcname = 'ts1'",
          );
          assert.equal(location!.path, target);
        } finally {
          await recovered.stop();
        }
      });
    }
  });
}
