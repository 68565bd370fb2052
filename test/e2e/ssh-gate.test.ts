// Debian's unchanged barman-cli on the database host, talking to barkeep through the ssh gate:
// barman-wal-archive as archive_command, barman-wal-restore as restore_command, and a key that
// opens nothing else.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { installCliForOsUser } from '../support/cli.ts';
import { waitFor } from '../support/receiver.ts';
import { startRecoveredCluster } from '../support/recovered-cluster.ts';
import { sshdUnavailableReason, startTestSshd, type TestSshd } from '../support/sshd.ts';

const missing =
  spawnSync('barman-wal-archive', ['--version']).status !== 0
    ? 'barman-cli is not installed (.ci/run installs it)'
    : sshdUnavailableReason();

describe('ssh-gate with barman-wal-archive and barman-wal-restore', {
  skip: missing ?? false,
}, () => {
  let server: ArchivedServer;
  let sshd: TestSshd;
  let bin: string;

  before(async () => {
    server = await startArchivedServer({
      label: 'e2e-gate',
      shipping: 'incoming',
      serverLines: ['compression = zstd'],
    });
    sshd = await startTestSshd({
      forcedCommand: `${installCliForOsUser()} -c ${server.configFile} ssh-gate --server pg`,
    });
    // barman-cli calls `ssh` by name: put the real ssh first in PATH with this test's key and port.
    bin = join(server.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'ssh'),
      `#!/bin/sh\nexec /usr/bin/ssh -p ${sshd.port} -i ${sshd.keyFile} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR "$@"\n`,
    );
    chmodSync(join(bin, 'ssh'), 0o755);
    shareWithPostgres(server.dir);
    await server.cluster.query(
      `ALTER SYSTEM SET archive_command = 'PATH=${bin}:/usr/bin:/bin barman-wal-archive -U ${sshd.user.name} -c ${server.configFile} 127.0.0.1 pg %p'`,
    );
    await server.cluster.query('SELECT pg_reload_conf()');
    await server.cluster.query('CREATE TABLE t AS SELECT generate_series(1, 1000) AS g');
  });
  after(async () => {
    await sshd?.stop();
    await server?.stop();
  });

  it('archives through barman-wal-archive and the gate', async () => {
    const [row] = await server.cluster.query<{ name: string }>(
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    await server.cluster.query('SELECT pg_switch_wal()');
    const stored = join(server.layout.wals, row!.name.slice(0, 16), row!.name);
    await waitFor(
      () => existsSync(stored),
      `${row!.name} archived through the gate (sshd said: ${sshd.log()})`,
    );
    assert.equal(
      readFileSync(stored).readUInt32LE(0),
      0xfd2fb528,
      'stored zstd-compressed by barkeep',
    );
  });

  it('recovers with barman-wal-restore as restore_command, through the gate', async () => {
    const backup = await server.barkeep(['backup', '--immediate-checkpoint', 'pg'], {
      timeoutMs: 120_000,
    });
    assert.equal(backup.code, 0, backup.stderr);
    await server.cluster.query('INSERT INTO t SELECT generate_series(1, 234)');
    const [row] = await server.cluster.query<{ name: string }>(
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    await server.cluster.query('SELECT pg_switch_wal()');
    await waitFor(
      () => existsSync(join(server.layout.wals, row!.name.slice(0, 16), row!.name)),
      'the last segment archived',
    );
    const destination = join(server.dir, 'recovered');
    const recover = await server.barkeep(
      ['recover', '--no-get-wal', '--target-action', 'promote', 'pg', 'latest', destination],
      { timeoutMs: 120_000 },
    );
    assert.equal(recover.code, 0, recover.stderr);
    // Replace barkeep's copied WAL by Barman's client fetching through ssh and the gate.
    rmSync(join(destination, 'barman_wal'), { recursive: true, force: true });
    const autoConf = join(destination, 'postgresql.auto.conf');
    writeFileSync(
      autoConf,
      readFileSync(autoConf, 'utf8').replace(
        /restore_command = .*/,
        `restore_command = 'PATH=${bin}:/usr/bin:/bin barman-wal-restore -U ${sshd.user.name} -c ${server.configFile} 127.0.0.1 pg %f %p'`,
      ),
    );
    const recovered = await startRecoveredCluster(destination, server.cluster.major);
    try {
      await recovered.waitUntilPromoted(120_000);
      const [count] = await recovered.query<{ count: string }>('SELECT count(*) FROM t');
      assert.equal(count?.count, '1234');
    } finally {
      await recovered.stop();
    }
  });

  it('refuses a shell command and another server, and logs it', () => {
    const ssh = (command: string) =>
      spawnSync('sh', ['-c', `${sshd.sshCommand} '${command}'`], { encoding: 'utf8' });
    const shell = ssh('bash -c id');
    assert.notEqual(shell.status, 0);
    assert.match(shell.stderr, /ERROR: refused ssh command 'bash -c id': 'bash' is not barman/);
    const other = ssh('barman put-wal other');
    assert.notEqual(other.status, 0);
    assert.match(other.stderr, /server 'other' is not one this key may use \(pg\)/);
    const interactive = spawnSync('sh', ['-c', `${sshd.sshCommand}`], {
      encoding: 'utf8',
      input: 'id\n',
    });
    assert.notEqual(interactive.status, 0);
    assert.match(interactive.stderr, /no SSH_ORIGINAL_COMMAND/);
  });
});
