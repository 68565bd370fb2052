// Configuration files outside PGDATA on a Debian-layout cluster: discovery, bytes over SQL and
// over ssh, storage in the backup directory.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { type ExternalConfig, fetchExternalConfig } from '../../src/backup/external-config.ts';
import { storeExternalConfig } from '../../src/backup/external-config-store.ts';
import { testVersions, useCluster } from '../support/cluster.ts';
import {
  connectAs,
  regularFilesBelow,
  sshStandIn,
  writeServerFile,
} from './external-config-fixtures.ts';

const major = testVersions()[0]!;

describe('configuration outside PGDATA (Debian layout)', () => {
  const handle = useCluster({ major, label: 'extconf', debianLayout: {} });
  let client: pg.Client;
  let scratch: string;
  let configDir: string;
  let outside: string;

  before(async () => {
    const { cluster } = handle;
    configDir = cluster.configDir!;
    outside = join(cluster.baseDir, 'outside');
    scratch = mkdtempSync(join(tmpdir(), 'barkeep-extconf-'));
    const write = (path: string, text: string, mode?: number) =>
      writeServerFile(cluster, path, text, mode);
    write(
      join(configDir, 'conf.d', '10-extra.conf'),
      "work_mem = '8MB'\ninclude_if_exists = 'missing.conf'\ninclude 'nested/deeper.conf'\n",
    );
    write(join(configDir, 'conf.d', 'nested', 'deeper.conf'), "maintenance_work_mem = '70MB'\n");
    write(join(configDir, 'conf.d', '.hidden.conf'), "work_mem = '1MB'\n");
    write(join(configDir, 'conf.d', 'notes.txt'), 'not configuration\n', 0o600);
    write(join(outside, 'extra.conf'), "temp_buffers = '9MB'\n", 0o640);
    write(join(outside, 'dir', 'b.conf'), "effective_cache_size = '300MB'\n");
    write(join(outside, 'dir', 'a.conf'), "effective_cache_size = '200MB'\n");
    write(join(outside, 'dir', 'c.txt'), 'ignored\n');
    write(join(outside, 'admins'), 'postgres\n');
    write(join(cluster.dataDir, 'inside.conf'), 'random_page_cost = 1.5\n', 0o600);
    const conf = readFileSync(cluster.configFile, 'utf8');
    write(
      cluster.configFile,
      `${conf}include '${outside}/extra.conf'\ninclude_dir '${outside}/dir'\ninclude '${cluster.dataDir}/inside.conf'\n`,
    );
    const hba = readFileSync(join(configDir, 'pg_hba.conf'), 'utf8');
    write(
      join(configDir, 'pg_hba.conf'),
      `${hba}host all @${outside}/admins 10.9.9.9/32 trust\n`,
      0o640,
    );
    await cluster.query('SELECT pg_reload_conf()');
    await waitForSetting(cluster.query.bind(cluster), 'effective_cache_size', '300MB');
    client = await connectAs(cluster);
  });
  after(async () => {
    await client?.end();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('the server accepts the test configuration', async () => {
    const { cluster } = handle;
    const show = async (name: string) =>
      (await cluster.query<Record<string, string>>(`SHOW ${name}`))[0]![name];
    assert.equal(await show('work_mem'), '8MB');
    assert.equal(await show('maintenance_work_mem'), '70MB');
    assert.equal(await show('temp_buffers'), '9MB');
    assert.equal(await show('random_page_cost'), '1.5');
    const errors = await cluster.query('SELECT * FROM pg_hba_file_rules WHERE error IS NOT NULL');
    assert.deepEqual(errors, []);
  });

  it('finds the files, keeps the whole config directory, with the bytes on disk', async () => {
    const { cluster } = handle;
    const found = await fetchExternalConfig(client);
    assert.equal(found.transport, 'sql');
    assert.equal(found.configFile, cluster.configFile);
    assert.equal(found.hbaFile, join(configDir, 'pg_hba.conf'));
    assert.equal(found.identFile, join(configDir, 'pg_ident.conf'));
    assert.equal(found.dataDirectory, cluster.dataDir);
    assert.equal(found.configDirectory, configDir);
    const kinds = Object.fromEntries(found.files.map((file) => [file.path, file.kind]));
    assert.deepEqual(kinds, {
      [cluster.configFile]: 'config_file',
      [join(configDir, 'conf.d', '00-sandbox.conf')]: 'include',
      [join(configDir, 'conf.d', '10-extra.conf')]: 'include',
      [join(configDir, 'conf.d', 'nested', 'deeper.conf')]: 'include',
      [join(outside, 'extra.conf')]: 'include',
      [join(outside, 'dir', 'a.conf')]: 'include',
      [join(outside, 'dir', 'b.conf')]: 'include',
      [join(configDir, 'pg_hba.conf')]: 'hba_file',
      [join(outside, 'admins')]: 'include',
      [join(configDir, 'pg_ident.conf')]: 'ident_file',
      [join(configDir, 'conf.d', '.hidden.conf')]: 'directory-file',
      [join(configDir, 'conf.d', 'notes.txt')]: 'directory-file',
      [join(configDir, 'environment')]: 'directory-file',
      [join(configDir, 'pg_ctl.conf')]: 'directory-file',
      [join(configDir, 'start.conf')]: 'directory-file',
    });
    assert.deepEqual(
      found.files.map((file) => file.path).slice(0, 2),
      [cluster.configFile, join(configDir, 'conf.d', '00-sandbox.conf')],
      'postgresql.conf first, then what it includes in the order the server reads it',
    );
    for (const file of found.files) {
      const disk = readFileSync(file.path);
      assert.ok(file.content.equals(disk), `${file.path} has the bytes on disk`);
      assert.equal(file.size, disk.length);
      assert.equal(file.mode, null, 'SQL does not report modes');
    }
    const swept = found.files.filter((file) => file.path.startsWith(`${configDir}/`));
    assert.deepEqual(
      swept.map((file) => file.path).sort(),
      regularFilesBelow(configDir),
      'every file of the configuration directory',
    );
    assert.deepEqual(found.insidePgdata, [join(cluster.dataDir, 'inside.conf')]);
    assert.deepEqual(
      found.includedFiles,
      [
        join(outside, 'dir', 'a.conf'),
        join(outside, 'dir', 'b.conf'),
        join(outside, 'extra.conf'),
        join(cluster.dataDir, 'inside.conf'),
        join(configDir, 'conf.d', '00-sandbox.conf'),
        join(configDir, 'conf.d', '10-extra.conf'),
        join(configDir, 'conf.d', 'nested', 'deeper.conf'),
      ].sort(),
    );
    const fromServer = await cluster.query<{ sourcefile: string }>(
      'SELECT DISTINCT sourcefile FROM pg_file_settings WHERE sourcefile IS NOT NULL',
    );
    for (const { sourcefile } of fromServer) {
      assert.ok(
        sourcefile === cluster.configFile || found.includedFiles.includes(sourcefile),
        `pg_file_settings' ${sourcefile} was found`,
      );
    }
    assert.deepEqual(found.warnings, []);
  });

  it('reads the same files through ssh_command, with their modes', async () => {
    const overSql = await fetchExternalConfig(client);
    const overSsh = await fetchExternalConfig(client, { sshCommand: sshStandIn(scratch) });
    assert.equal(overSsh.transport, 'ssh');
    assert.deepEqual(strip(overSsh), strip(overSql));
    for (const file of overSsh.files) {
      assert.equal(file.mode, statSync(file.path).mode & 0o7777, `${file.path} mode`);
    }
    const hba = overSsh.files.find((file) => file.kind === 'hba_file');
    assert.equal(hba?.mode, 0o640);
  });

  it('stores the files under external/<original path>, durably and with their modes', async () => {
    const found = await fetchExternalConfig(client, { sshCommand: sshStandIn(scratch) });
    const backupDir = join(scratch, 'base', '20250101T000000');
    const manifest = await storeExternalConfig(backupDir, found.files);
    assert.equal(manifest.length, found.files.length);
    for (const entry of manifest) {
      assert.equal(entry.storedPath, `external${entry.originalPath}`);
      const stored = join(backupDir, entry.storedPath);
      const original = readFileSync(entry.originalPath);
      assert.ok(readFileSync(stored).equals(original), entry.originalPath);
      assert.equal(entry.size, original.length);
      assert.equal(statSync(stored).mode & 0o777, statSync(entry.originalPath).mode & 0o777);
      assert.match(entry.sha256, /^[0-9a-f]{64}$/);
    }
    const conf = manifest.find((entry) => entry.kind === 'config_file')!;
    assert.equal(
      conf.storedPath,
      `external${handle.cluster.configDir}/postgresql.conf`,
      'e.g. base/<id>/external/etc/postgresql/<ver>/main/postgresql.conf',
    );
    const again = await storeExternalConfig(backupDir, found.files);
    assert.deepEqual(again, manifest, 'storing again replaces the copies');
    const overSql = await fetchExternalConfig(client);
    const sqlManifest = await storeExternalConfig(join(scratch, 'sql-copy'), overSql.files);
    const hba = sqlManifest.find((entry) => entry.kind === 'hba_file')!;
    assert.equal(hba.mode, null);
    assert.equal(statSync(join(scratch, 'sql-copy', hba.storedPath)).mode & 0o777, 0o600);
  });

  it('guards against an include loop and reports it', async () => {
    const loop = join(configDir, 'conf.d', '20-loop.conf');
    writeServerFile(handle.cluster, loop, "include '../postgresql.conf'\n");
    try {
      for (const sshCommand of [undefined, sshStandIn(scratch)]) {
        const found = await fetchExternalConfig(client, { sshCommand });
        assert.ok(found.files.some((file) => file.path === loop && file.kind === 'include'));
        assert.equal(new Set(found.files.map((file) => file.path)).size, found.files.length);
        assert.equal(found.warnings.length, 1, found.warnings.join('\n'));
        assert.match(found.warnings[0]!, /include loop: .*postgresql\.conf/);
      }
    } finally {
      unlinkSync(loop);
    }
  });

  it('keeps only the referenced files when the directory is beyond the limits', async () => {
    const limits = { maxFileBytes: 1 << 20, maxTreeBytes: 1 << 20, maxTreeFiles: 3, maxDepth: 8 };
    for (const sshCommand of [undefined, sshStandIn(scratch)]) {
      const found = await fetchExternalConfig(client, { sshCommand, limits });
      assert.equal(found.configDirectory, undefined);
      assert.match(found.warnings.join('\n'), /is not kept whole: it holds more than 3 files/);
      const kinds = new Set(found.files.map((file) => file.kind));
      assert.equal(kinds.has('directory-file'), false);
      assert.ok(found.files.some((file) => file.path.endsWith('/conf.d/10-extra.conf')));
    }
  });
});

/** The result without what legitimately differs between the transports. */
function strip(found: ExternalConfig): unknown {
  return {
    ...found,
    transport: undefined,
    files: found.files.map((file) => ({ ...file, mode: undefined })),
  };
}

async function waitForSetting(
  query: (sql: string) => Promise<Record<string, unknown>[]>,
  name: string,
  value: string,
): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const [row] = await query(`SHOW ${name}`);
    if (row?.[name] === value) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not become ${value} after the reload`);
}
