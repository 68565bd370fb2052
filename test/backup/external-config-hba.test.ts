// pg_hba.conf and pg_ident.conf include directives (PostgreSQL 16+) are followed like
// postgresql.conf's, over SQL and over ssh.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { fetchExternalConfig } from '../../src/backup/external-config.ts';
import { availableMajors, useCluster } from '../support/cluster.ts';
import { connectAs, sshStandIn, writeServerFile } from './external-config-fixtures.ts';

const major = availableMajors().find((candidate) => candidate >= 16);

describe('pg_hba.conf and pg_ident.conf includes', {
  skip: major === undefined ? 'needs PostgreSQL 16 or later' : false,
}, () => {
  const handle = useCluster({ major, label: 'extconf-hba', debianLayout: {} });
  let client: pg.Client;
  let scratch: string;
  let outside: string;

  before(async () => {
    const { cluster } = handle;
    const configDir = cluster.configDir!;
    scratch = mkdtempSync(join(tmpdir(), 'barkeep-extconf-'));
    outside = join(cluster.baseDir, 'auth');
    writeServerFile(cluster, join(outside, 'hba-extra.conf'), 'host all all 10.1.1.1/32 trust\n');
    writeServerFile(cluster, join(outside, 'ident.d', 'maps.conf'), 'office alice bob\n');
    writeServerFile(cluster, join(outside, 'ident.d', 'skip.txt'), 'not read\n');
    const hba = join(configDir, 'pg_hba.conf');
    writeServerFile(
      cluster,
      hba,
      `${readFileSync(hba, 'utf8')}include ${outside}/hba-extra.conf\ninclude_if_exists ${outside}/none.conf\n`,
      0o640,
    );
    const ident = join(configDir, 'pg_ident.conf');
    writeServerFile(
      cluster,
      ident,
      `${readFileSync(ident, 'utf8')}include_dir ${outside}/ident.d\n`,
    );
    client = await connectAs(cluster);
  });
  after(async () => {
    await client?.end();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('the server accepts them', async () => {
    const { cluster } = handle;
    assert.deepEqual(
      await cluster.query('SELECT * FROM pg_hba_file_rules WHERE error IS NOT NULL'),
      [],
    );
    const rules = await cluster.query<{ file_name: string }>(
      "SELECT file_name FROM pg_hba_file_rules WHERE address = '10.1.1.1'",
    );
    assert.deepEqual(rules, [{ file_name: join(outside, 'hba-extra.conf') }]);
    const maps = await cluster.query<{ file_name: string }>(
      "SELECT file_name FROM pg_ident_file_mappings WHERE map_name = 'office'",
    );
    assert.deepEqual(maps, [{ file_name: join(outside, 'ident.d', 'maps.conf') }]);
  });

  it('follows them over SQL and over ssh', async () => {
    for (const sshCommand of [undefined, sshStandIn(scratch)]) {
      const found = await fetchExternalConfig(client, { sshCommand });
      const outsideFiles = found.files
        .filter((file) => file.path.startsWith(`${outside}/`))
        .map((file) => [file.kind, file.path, file.content.toString()]);
      assert.deepEqual(outsideFiles, [
        ['include', join(outside, 'hba-extra.conf'), 'host all all 10.1.1.1/32 trust\n'],
        ['include', join(outside, 'ident.d', 'maps.conf'), 'office alice bob\n'],
      ]);
      assert.deepEqual(found.warnings, [], 'include_if_exists of a missing file is fine');
      assert.equal(
        found.includedFiles.some((path) => path.startsWith(`${outside}/`)),
        false,
        "included_files is postgresql.conf's, as in Barman",
      );
    }
  });
});
