// Configuration files with PGDATA's layout (config inside, includes outside): what a
// non-superuser role needs, and the two transports reading the same trees.
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { checkConfigFileAccess, configFileFunctions } from '../../src/backup/config-privileges.ts';
import { sqlConfigFileSource } from '../../src/backup/config-sql-source.ts';
import { sshConfigFileSource } from '../../src/backup/config-ssh-source.ts';
import { fetchExternalConfig } from '../../src/backup/external-config.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { testVersions, useCluster } from '../support/cluster.ts';
import {
  connectAs,
  makeServerDir,
  sshStandIn,
  writeServerFile,
} from './external-config-fixtures.ts';

const major = testVersions()[0]!;

describe('configuration files: privileges and transports', () => {
  const handle = useCluster({ major, label: 'extconf-access' });
  const clients: pg.Client[] = [];
  let scratch: string;
  let outside: string;
  let sshCommand: string;
  const as = async (user: string) => {
    const client = await connectAs(handle.cluster, user);
    clients.push(client);
    return client;
  };

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'barkeep-extconf-'));
    sshCommand = sshStandIn(scratch);
    outside = join(handle.cluster.baseDir, 'outside');
    await handle.cluster.query('CREATE ROLE backup LOGIN');
  });
  after(async () => {
    for (const client of clients) await client.end();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('names each missing privilege, and the GRANTs that fix it', async () => {
    const client = await as('backup');
    const rejected = (missing: RegExp) => (error: unknown) => {
      assert.ok(isBarkeepError(error, 'postgresQuery'), String(error));
      assert.match(error.why, missing);
      assert.match(error.hint, /GRANT .* TO "backup";/);
      return true;
    };
    await assert.rejects(fetchExternalConfig(client), rejected(/pg_read_all_settings/));
    const none = await checkConfigFileAccess(client);
    assert.equal(none.ok, false);
    assert.deepEqual(none.missing, [
      'pg_read_all_settings',
      'pg_read_server_files',
      ...configFileFunctions.map((name) => `EXECUTE ON FUNCTION ${name}`),
    ]);
    assert.equal(
      none.hint,
      'GRANT pg_read_all_settings, pg_read_server_files TO "backup"; GRANT EXECUTE ON FUNCTION ' +
        'pg_catalog.pg_ls_dir(text, boolean, boolean), pg_catalog.pg_stat_file(text, boolean), ' +
        'pg_catalog.pg_read_binary_file(text) TO "backup";',
    );

    await handle.cluster.query('GRANT pg_read_all_settings TO backup');
    await assert.rejects(
      fetchExternalConfig(client),
      rejected(/EXECUTE ON FUNCTION pg_catalog\.pg_read_binary_file\(text\)/),
    );
    const someMissing = await checkConfigFileAccess(client);
    assert.deepEqual(
      someMissing.missing,
      configFileFunctions.map((name) => `EXECUTE ON FUNCTION ${name}`),
      'pg_read_server_files is not needed while everything is inside PGDATA',
    );
    assert.deepEqual(await checkConfigFileAccess(client, { sshCommand }), {
      ok: true,
      missing: [],
      hint: '',
    });

    // The hint's own statements are what the role needs.
    await handle.cluster.query(someMissing.hint);
    assert.equal((await checkConfigFileAccess(client)).ok, true);
    const found = await fetchExternalConfig(client);
    const { dataDir } = handle.cluster;
    assert.deepEqual(found.files, [], 'nothing outside PGDATA');
    assert.equal(found.configDirectory, undefined);
    assert.deepEqual(found.insidePgdata, [
      join(dataDir, 'postgresql.conf'),
      join(dataDir, 'pg_hba.conf'),
      join(dataDir, 'pg_ident.conf'),
    ]);
  });

  it('an include outside PGDATA needs pg_read_server_files, or ssh_command', async () => {
    const { cluster } = handle;
    writeServerFile(cluster, join(outside, 'tuning.conf'), "work_mem = '6MB'\n");
    const conf = readFileSync(cluster.configFile, 'utf8');
    writeServerFile(
      cluster,
      cluster.configFile,
      `${conf}include '${outside}/tuning.conf'\n`,
      0o600,
    );
    const client = await as('backup');
    await assert.rejects(fetchExternalConfig(client), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'postgresQuery'), String(error));
      assert.match(error.why, /needs pg_read_server_files/);
      return true;
    });
    const overSsh = await fetchExternalConfig(client, { sshCommand });
    assert.deepEqual(
      overSsh.files.map((file) => [file.kind, file.path, file.mode]),
      [['include', join(outside, 'tuning.conf'), 0o644]],
    );
    assert.deepEqual(overSsh.includedFiles, [join(outside, 'tuning.conf')]);

    await cluster.query('GRANT pg_read_server_files TO backup');
    const overSql = await fetchExternalConfig(client);
    assert.deepEqual(
      overSql.files.map((file) => [file.kind, file.path, file.content.toString()]),
      [['include', join(outside, 'tuning.conf'), "work_mem = '6MB'\n"]],
    );
  });

  it('both transports read a tree alike: links followed, PGDATA-like subtrees left out', async () => {
    const { cluster } = handle;
    const tree = join(cluster.baseDir, 'tree');
    writeServerFile(cluster, join(tree, 'a.conf'), 'a\n');
    writeServerFile(cluster, join(tree, 'sub', 'deep', 'b.conf'), 'b\n', 0o600);
    writeServerFile(cluster, join(tree, 'data', 'PG_VERSION'), `${major}\n`);
    makeServerDir(cluster, join(tree, 'empty'));
    symlinkSync(join(tree, 'a.conf'), join(tree, 'link.conf'));
    symlinkSync(join(tree, 'nowhere'), join(tree, 'dangling.conf'));
    linkSync(join(tree, 'a.conf'), join(tree, 'sub', 'hard.conf'));
    const client = await as('postgres');
    const sources = [sqlConfigFileSource(client), sshConfigFileSource(sshCommand)];
    const results = [];
    for (const source of sources) {
      const read = await source.readTree(tree, { recursive: true, exclude: [join(tree, 'data')] });
      assert.ok(read !== undefined);
      assert.equal(read.skipped.length, 1, read.skipped.join('\n'));
      assert.match(read.skipped[0]!, /dangling\.conf/);
      const files = read.files
        .map((file) => [file.path.slice(tree.length), file.content.toString()])
        .sort();
      results.push(files);
      assert.equal(
        await source.readTree(join(tree, 'missing'), { recursive: true, exclude: [] }),
        undefined,
      );
      assert.equal(await source.readFile(join(tree, 'missing.conf')), undefined);
      assert.equal(await source.readFile(join(tree, 'sub')), undefined, 'a directory is no file');
      assert.equal((await source.readFile(join(tree, 'link.conf')))?.content.toString(), 'a\n');
      const flat = await source.readTree(tree, {
        recursive: false,
        exclude: [],
        accept: (name) => name.endsWith('.conf'),
      });
      assert.deepEqual(flat?.files.map((file) => file.path.slice(tree.length)).sort(), [
        '/a.conf',
        '/link.conf',
      ]);
    }
    assert.deepEqual(results[0], [
      ['/a.conf', 'a\n'],
      ['/link.conf', 'a\n'],
      ['/sub/deep/b.conf', 'b\n'],
      ['/sub/hard.conf', 'a\n'],
    ]);
    assert.deepEqual(results[1], results[0]);
  });

  it('an ssh_command that fails is an error naming it', async () => {
    const client = await as('postgres');
    await assert.rejects(fetchExternalConfig(client, { sshCommand: 'false' }), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
      assert.match(error.why, /exited with status 1/);
      return true;
    });
  });
});
