import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';

let dir: string;

async function writeConfig(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'barkeep-config-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('reads a [barkeep] file into typed settings with defaults', async () => {
    const file = await writeConfig(
      'basic.conf',
      '[barkeep]\nbarman_home = /srv/bk\n\n[pg]\ndescription = Main\nconninfo = host=pg user=barman\narchiver = on\n',
    );
    const config = await loadConfig({ explicitFile: file });
    assert.equal(config.globalSection, 'barkeep');
    assert.equal(config.global.barman_home, '/srv/bk');
    const pg = config.servers.get('pg')!;
    assert.equal(pg.settings.description, 'Main');
    assert.equal(pg.settings.archiver, true);
    assert.equal(pg.settings.streaming_archiver, false);
    assert.equal(pg.settings.active, true);
    assert.equal(pg.settings.backup_method, 'postgres');
    assert.deepEqual(config.warnings, []);
  });

  it('treats [barman] exactly like [barkeep]', async () => {
    const body = 'barman_home = /srv/x\ncompression = gzip\n\n[pg]\nconninfo = host=pg\n';
    const a = await loadConfig({ explicitFile: await writeConfig('a.conf', `[barkeep]\n${body}`) });
    const b = await loadConfig({ explicitFile: await writeConfig('b.conf', `[barman]\n${body}`) });
    assert.equal(b.globalSection, 'barman');
    assert.deepEqual(b.global, a.global);
    assert.deepEqual(b.servers.get('pg')!.settings, a.servers.get('pg')!.settings);
  });

  it("accepts Barman's alias home for barman_home", async () => {
    const config = await loadConfig({
      explicitFile: await writeConfig('home.conf', '[barman]\nhome = /h\n'),
    });
    assert.equal(config.global.barman_home, '/h');
  });

  it('rejects both global sections at once', async () => {
    const file = await writeConfig('both.conf', '[barkeep]\n[barman]\n');
    await assert.rejects(loadConfig({ explicitFile: file }), /both \[barkeep\] and \[barman\]/);
  });

  it('names file, line and the closest key for a misspelt key (exit 2)', async () => {
    const file = await writeConfig(
      'typo.conf',
      '[barkeep]\nbarman_home = /x\n\n[pg]\nconninfo = host=pg\ncompresion = gzip\n',
    );
    await assert.rejects(loadConfig({ explicitFile: file }), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'configUnknownKey'));
      assert.equal(error.exitCode, 2);
      assert.equal(error.subject, `${file}:6`);
      assert.match(error.toLine(), /unknown key 'compresion' in \[pg\]/);
      assert.match(error.hint, /Did you mean 'compression'\?/);
      return true;
    });
  });

  it('rejects a bad value with its line', async () => {
    const file = await writeConfig('value.conf', '[pg]\nactive = maybe\n');
    await assert.rejects(loadConfig({ explicitFile: file }), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'configInvalidValue'));
      assert.equal(error.subject, `${file}:2`);
      assert.match(error.why, /'maybe' is not a boolean/);
      return true;
    });
  });

  it('warns once for a Barman option not implemented yet, and loads', async () => {
    const file = await writeConfig(
      'planned.conf',
      '[pg]\nconninfo = host=pg\nsnapshot_provider = gcp\n',
    );
    const config = await loadConfig({ explicitFile: file });
    assert.equal(config.warnings.length, 1);
    assert.equal(config.warnings[0]!.key, 'snapshot_provider');
    assert.equal(config.warnings[0]!.line, 3);
    assert.match(config.warnings[0]!.message, /does not implement yet/);
  });

  it('warns for a server-only key in the global section and ignores it', async () => {
    const file = await writeConfig('scope.conf', '[barkeep]\nconninfo = host=x\n\n[pg]\n');
    const config = await loadConfig({ explicitFile: file });
    assert.match(config.warnings[0]!.message, /no effect in the global section/);
    assert.equal(config.servers.get('pg')!.settings.conninfo, undefined);
  });

  it('uses global values as server defaults; a server value wins', async () => {
    const file = await writeConfig(
      'inherit.conf',
      '[barkeep]\narchiver = on\nminimum_redundancy = 2\n\n[a]\n\n[b]\narchiver = off\n',
    );
    const config = await loadConfig({ explicitFile: file });
    assert.equal(config.servers.get('a')!.settings.archiver, true);
    assert.equal(config.servers.get('b')!.settings.archiver, false);
    assert.equal(config.servers.get('a')!.settings.minimum_redundancy, 2);
  });

  it('interpolates %(key)s from the section, the global section, and the server name', async () => {
    const file = await writeConfig(
      'interp.conf',
      '[barkeep]\nbarman_home = /srv/barman\n\n[pg]\npgport = 5433\nbackup_directory = %(barman_home)s/custom/%(name)s\n',
    );
    await assert.rejects(loadConfig({ explicitFile: file }), /unknown key 'pgport'/);
    const ok = await writeConfig(
      'interp2.conf',
      '[barkeep]\nbarman_home = /srv/barman\n\n[pg]\ndescription = on port 100%%\nbackup_directory = %(barman_home)s/custom/%(name)s\n',
    );
    const pg = (await loadConfig({ explicitFile: ok })).servers.get('pg')!;
    assert.equal(pg.settings.backup_directory, '/srv/barman/custom/pg');
    assert.equal(pg.settings.description, 'on port 100%');
  });

  it('reports a broken interpolation as an invalid value', async () => {
    const file = await writeConfig('badinterp.conf', '[pg]\ndescription = %(missing)s\n');
    await assert.rejects(loadConfig({ explicitFile: file }), /refers to a key that is not set/);
  });

  it('reads configuration_files_directory/*.conf in name order', async () => {
    const include = join(dir, 'conf.d');
    await mkdir(include, { recursive: true });
    await writeFile(join(include, 'b.conf'), '[second]\ndescription = B\n');
    await writeFile(join(include, 'a.conf'), '[first]\ndescription = A\n');
    await writeFile(join(include, 'ignored.txt'), '[nope]\n');
    const file = await writeConfig(
      'main.conf',
      `[barman]\nconfiguration_files_directory = ${include}\n\n[main]\n`,
    );
    const config = await loadConfig({ explicitFile: file });
    assert.deepEqual([...config.servers.keys()], ['main', 'first', 'second']);
    assert.deepEqual(config.files, [file, join(include, 'a.conf'), join(include, 'b.conf')]);
  });

  it('rejects a server defined in two files', async () => {
    const include = join(dir, 'dup.d');
    await mkdir(include, { recursive: true });
    await writeFile(join(include, 'pg.conf'), '[pg]\n');
    const file = await writeConfig(
      'dup.conf',
      `[barman]\nconfiguration_files_directory = ${include}\n\n[pg]\n`,
    );
    await assert.rejects(loadConfig({ explicitFile: file }), /server \[pg\] is already defined/);
  });

  it('rejects reserved and unsafe server names', async () => {
    await assert.rejects(
      loadConfig({ explicitFile: await writeConfig('all.conf', '[all]\n') }),
      /'all' cannot be a server name/,
    );
    await assert.rejects(
      loadConfig({ explicitFile: await writeConfig('dot.conf', '[../x]\n') }),
      /cannot be a server name/,
    );
  });

  it('follows the lookup order: BARKEEP_CONFIG, then ~/.barkeep.conf', async () => {
    const home = join(dir, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, '.barkeep.conf'), '[fromhome]\n');
    const fromEnv = await writeConfig('env.conf', '[fromenv]\n');
    const viaEnv = await loadConfig({ env: { BARKEEP_CONFIG: fromEnv }, home });
    assert.deepEqual([...viaEnv.servers.keys()], ['fromenv']);
    const viaHome = await loadConfig({ env: {}, home });
    assert.deepEqual([...viaHome.servers.keys()], ['fromhome']);
  });

  it('fails with exit 2 when -c names a missing file', async () => {
    await assert.rejects(
      loadConfig({ explicitFile: join(dir, 'missing.conf') }),
      (error: unknown) => {
        assert.ok(isBarkeepError(error, 'configMissing'));
        assert.equal(error.exitCode, 2);
        return true;
      },
    );
  });

  it('loads a realistic Barman configuration with warnings at most', async () => {
    const fixtures = join(import.meta.dirname, 'fixtures');
    const text = (await readFile(join(fixtures, 'barman-realistic.conf'), 'utf8')).replaceAll(
      '@FIXTURES@',
      fixtures,
    );
    const file = await writeConfig('realistic.conf', text);
    const config = await loadConfig({ explicitFile: file });
    assert.equal(config.globalSection, 'barman');
    assert.ok(config.servers.size >= 3, `servers: ${[...config.servers.keys()].join(', ')}`);
    for (const warning of config.warnings)
      assert.match(warning.message, /does not implement yet|no effect|model/);
  });
});

describe('loadConfig value forms', () => {
  it('strips one pair of quotes and treats None and empty as unset, without inheriting', async () => {
    const file = await writeConfig(
      'forms.conf',
      `[barkeep]\ncompression = gzip\n\n[pg]\ndescription = "Main 'PG'"\ncompression = None\n\n[pg2]\ncompression =\nactive = 'false'\n`,
    );
    const config = await loadConfig({ explicitFile: file });
    const pg = config.servers.get('pg')!.settings;
    assert.equal(pg.description, "Main 'PG'");
    assert.equal(pg.compression, undefined);
    const pg2 = config.servers.get('pg2')!.settings;
    assert.equal(pg2.compression, undefined);
    assert.equal(pg2.active, false);
  });
});
