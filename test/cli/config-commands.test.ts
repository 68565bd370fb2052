import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCliInProcess } from '../support/run-cli-in-process.ts';

let dir: string;
let configFile: string;
const secret = 's3cr3t-Pa55';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'barkeep-cli-test-'));
  configFile = join(dir, 'barkeep.conf');
  await writeFile(
    configFile,
    [
      '[barkeep]',
      `barman_home = ${join(dir, 'home')}`,
      `log_file = ${join(dir, 'log', 'barkeep.log')}`,
      '',
      '[pg]',
      'description = "Main cluster"',
      `conninfo = host=pg user=barman password=${secret}`,
      `streaming_conninfo = postgresql://streamer:${secret}@pg/postgres`,
      'archiver = on',
      '',
      '[old]',
      'description = Retired',
      'active = off',
      '',
    ].join('\n'),
  );
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('list-servers', () => {
  it('prints name - description, marking inactive servers', async () => {
    const run = await runCliInProcess(['-c', configFile, 'list-servers']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'pg - Main cluster\nold - Retired (inactive)\n');
  });

  it('prints names only with --minimal and JSON with -f json', async () => {
    assert.equal(
      (await runCliInProcess(['-c', configFile, 'list-servers', '--minimal'])).stdout,
      'pg\nold\n',
    );
    const json = JSON.parse(
      (await runCliInProcess(['-c', configFile, '-f', 'json', 'list-servers'])).stdout,
    );
    assert.deepEqual(json, {
      pg: { description: 'Main cluster', active: true },
      old: { description: 'Retired', active: false },
    });
  });

  it('prints nothing with -q', async () => {
    const run = await runCliInProcess(['-q', '-c', configFile, 'list-servers']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, '');
  });

  it('writes structured lines to log_file', async () => {
    await runCliInProcess(['-c', configFile, 'list-servers']);
    // list-servers logs nothing by itself; a warning-producing config shows the file sink works.
    const warned = join(dir, 'warned.conf');
    await writeFile(
      warned,
      `[barkeep]\nlog_file = ${join(dir, 'log', 'warned.log')}\n\n[pg]\nsnapshot_provider = gcp\n`,
    );
    const run = await runCliInProcess(['-c', warned, 'list-servers']);
    assert.match(run.stderr, /WARNING: .*snapshot_provider' is a Barman option/);
    const line = JSON.parse(
      (await readFile(join(dir, 'log', 'warned.log'), 'utf8')).trim().split('\n')[0]!,
    );
    assert.equal(line.level, 'warn');
    assert.equal(line.command, 'list-servers');
    assert.match(line.msg, /snapshot_provider/);
  });
});

describe('show-servers', () => {
  it('shows effective settings and computed directories, never the password', async () => {
    const run = await runCliInProcess(['-c', configFile, 'show-servers', 'pg']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Server pg:\n/);
    assert.match(run.stdout, /\tarchiver: True\n/);
    assert.match(run.stdout, /\tslot_name: None\n/);
    assert.match(
      run.stdout,
      new RegExp(`\\tincoming_wals_directory: ${join(dir, 'home', 'pg', 'incoming')}\\n`),
    );
    assert.match(run.stdout, /\tconninfo: host=pg user=barman password=\*+\n/);
    assert.ok(!run.stdout.includes(secret), 'the password leaked');
  });

  it('shows all active servers as JSON', async () => {
    const run = await runCliInProcess(['-c', configFile, '-f', 'json', 'show-servers', 'all']);
    const json = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(json), ['pg']);
    assert.equal(json.pg.archiver, true);
    assert.equal(json.pg.backup_method, 'postgres');
    assert.ok(!run.stdout.includes(secret));
  });

  it('rejects an unknown server with exit 2 and a suggestion', async () => {
    const run = await runCliInProcess(['-c', configFile, 'show-servers', 'pgg']);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /^ERROR: unknown server 'pgg': no section \[pgg\] in .*\. Did you mean 'pg'\?/,
    );
  });
});

describe('diagnose', () => {
  it('prints one JSON document without passwords', async () => {
    const run = await runCliInProcess(['-c', configFile, 'diagnose']);
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout);
    assert.equal(json.system_info.node_version, process.version);
    assert.deepEqual(Object.keys(json.servers), ['pg', 'old']);
    assert.equal(json.servers.pg.identity, null);
    assert.ok(!run.stdout.includes(secret));
  });
});

describe('errors and usage', () => {
  it('exits 2 with the contract line for a misspelt key', async () => {
    const bad = join(dir, 'bad.conf');
    await writeFile(bad, '[barkeep]\n\n[pg]\nconinfo = host=pg\n');
    const run = await runCliInProcess(['-c', bad, 'list-servers']);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      `ERROR: invalid configuration '${bad}:4': unknown key 'coninfo' in [pg]. Did you mean 'conninfo'?\n`,
    );
  });

  it('exits 2 for an unknown option or command', async () => {
    const option = await runCliInProcess(['-c', configFile, 'list-servers', '--bogus']);
    assert.equal(option.code, 2);
    assert.match(
      option.stderr,
      /^ERROR: invalid command line 'barkeep': unknown option '--bogus'\./,
    );
    const command = await runCliInProcess(['frobnicate']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command 'frobnicate'/);
  });

  it('exits 2 when no configuration file exists', async () => {
    const run = await runCliInProcess(['list-servers'], { HOME: dir });
    // /etc/barkeep.conf may exist on a developer machine; on CI it does not.
    if (run.code !== 0) {
      assert.equal(run.code, 2);
      assert.match(run.stderr, /^ERROR: cannot find configuration/);
    }
  });

  it('adds the stack with -d', async () => {
    const run = await runCliInProcess(['-d', '-c', join(dir, 'nope.conf'), 'list-servers']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^ERROR: cannot read configuration/);
    assert.match(run.stderr, /at locateConfig/);
  });
});

describe('help and version', () => {
  it('lists every command with one line each', async () => {
    const run = await runCliInProcess(['--help']);
    assert.equal(run.code, 0);
    for (const command of ['list-servers', 'show-servers', 'check', 'diagnose', 'demo']) {
      assert.match(run.stdout, new RegExp(`\\n  ${command}\\b[^\\n]*  \\S`));
    }
  });

  it("shows a command's options with help COMMAND and COMMAND --help", async () => {
    const viaHelp = await runCliInProcess(['help', 'check']);
    const viaFlag = await runCliInProcess(['check', '--help']);
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.stdout, /--nagios/);
    assert.equal(viaHelp.stdout, viaFlag.stdout);
  });

  it('prints barkeep X.Y.Z', async () => {
    const run = await runCliInProcess(['--version']);
    assert.match(run.stdout, /^barkeep \d+\.\d+\.\d+(-\w+)?\n$/);
  });
});
