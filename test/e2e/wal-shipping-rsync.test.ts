// The seed's WAL shipping, unchanged: archive_command on the database host runs
// `rsync -a %p user@backup:INCOMING/%f` through ssh (here a private test sshd on loopback), and
// barkeep's archive-wal completes it. check names the form in use and sees when nothing moves
// the copied segments into the archive.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decompressBuffer } from '../../src/compression/compress-buffer.ts';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { waitFor } from '../support/receiver.ts';
import { sshdUnavailableReason, startTestSshd, type TestSshd } from '../support/sshd.ts';

const SEGMENT = /^[0-9A-F]{24}$/;
const missing =
  spawnSync('rsync', ['--version']).status !== 0
    ? 'rsync is not installed (.ci/run installs it)'
    : sshdUnavailableReason();

describe("archive_command = 'rsync -a %p user@backup:INCOMING/%f'", {
  skip: missing ?? false,
}, () => {
  let server: ArchivedServer;
  let sshd: TestSshd;

  before(async () => {
    server = await startArchivedServer({
      label: 'e2e-rsync-ship',
      shipping: 'incoming',
      serverLines: ['compression = gzip'],
    });
    sshd = await startTestSshd();
    // rsync runs `ssh` by name: a wrapper first in PATH carries this test's key and port.
    const bin = join(server.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'ssh'),
      `#!/bin/sh\nexec /usr/bin/${sshd.sshCommand.replace(/ \S+@127\.0\.0\.1$/, '')} "$@"\n`,
    );
    chmodSync(join(bin, 'ssh'), 0o755);
    shareWithPostgres(server.dir);
    await server.cluster.query(
      `ALTER SYSTEM SET archive_command = 'PATH=${bin}:/usr/bin:/bin rsync -a %p ${sshd.user.name}@127.0.0.1:${server.layout.incoming}/%f'`,
    );
    await server.cluster.query('SELECT pg_reload_conf()');
    await server.cluster.query('CREATE TABLE t AS SELECT generate_series(1, 1000) AS g');
  });
  after(async () => {
    await sshd?.stop();
    await server?.stop();
  });

  it('delivers each segment into incoming/ over ssh; archive-wal stores it byte-identical', async () => {
    const [row] = await server.cluster.query<{ name: string }>(
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    const name = row!.name;
    await server.cluster.query('SELECT pg_switch_wal()');
    await waitFor(
      () => readdirSync(server.layout.incoming).includes(name),
      `${name} copied by rsync into incoming/ (sshd said: ${sshd.log()})`,
    );
    assert.deepEqual(
      readdirSync(server.layout.incoming).filter((file) => file.startsWith('.')),
      [],
      'no rsync temporary file is left behind',
    );

    const check = await server.barkeep(['check', 'pg']);
    assert.match(check.stdout, /\tarchive_command target: OK \(copied into incoming\/: /);
    assert.match(check.stdout, /\tcontinuous archiving: OK\n/);
    assert.match(check.stdout, /\tincoming WAL processing: OK\n/);

    const run = await server.barkeep(['archive-wal', 'pg']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!readdirSync(server.layout.incoming).includes(name));
    const stored = readFileSync(join(server.layout.wals, name.slice(0, 16), name));
    const original = readFileSync(join(server.cluster.dataDir, 'pg_wal', name));
    assert.ok((await decompressBuffer(stored)).equals(original), `${name} stored byte-identical`);
  });

  it('check fails when copied segments wait in incoming/ with nothing archiving them', async () => {
    const [row] = await server.cluster.query<{ name: string }>(
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    await server.cluster.query('INSERT INTO t SELECT generate_series(1, 100)');
    await server.cluster.query('SELECT pg_switch_wal()');
    const waiting = join(server.layout.incoming, row!.name);
    await waitFor(() => readdirSync(server.layout.incoming).includes(row!.name), 'copied');
    const old = new Date(Date.now() - 20 * 60_000);
    utimesSync(waiting, old, old);

    const stale = await server.barkeep(['check', 'pg']);
    assert.equal(stale.code, 3, stale.stdout);
    assert.match(
      stale.stdout,
      new RegExp(
        `\\tincoming WAL processing: FAILED \\(${row!.name} has waited in .* for 20 minutes; run 'barkeep cron' every minute`,
      ),
    );

    assert.equal((await server.barkeep(['archive-wal', 'pg'])).code, 0);
    const healed = await server.barkeep(['check', 'pg']);
    assert.match(healed.stdout, /\tincoming WAL processing: OK\n/);
    assert.equal(
      readdirSync(server.layout.incoming).filter((file) => SEGMENT.test(file)).length,
      0,
    );
  });
});
