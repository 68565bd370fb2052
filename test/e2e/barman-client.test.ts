// Barman's client package on the database host keeps working against barkeep: barman-wal-archive
// feeds put-wal's tar stream, barman-wal-restore reads through get-wal. ssh is replaced by a
// local stand-in that runs the remote command, and `barman` on the "backup host" is barkeep.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { installCliForOsUser } from '../support/cli.ts';

const hasBarmanCli = spawnSync('barman-wal-archive', ['--version']).status === 0;

describe('Barman client scripts against barkeep', {
  skip: hasBarmanCli ? false : 'barman-cli is not installed (.ci/run installs it)',
}, () => {
  let server: ArchivedServer;
  let bin: string;
  let env: string;

  before(async () => {
    server = await startArchivedServer({
      label: 'e2e-barman-cli',
      shipping: 'incoming',
      serverLines: ['compression = gzip'],
    });
    bin = join(server.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    // ssh stand-in: drop the options and the host, run the remote command with the local shell.
    writeFileSync(
      join(bin, 'ssh'),
      '#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in -p) shift 2;; -*) shift;; *) shift; break;; esac; done\nexec sh -c "$*"\n',
    );
    writeFileSync(join(bin, 'barman'), `#!/bin/sh\nexec ${installCliForOsUser()} "$@"\n`);
    chmodSync(join(bin, 'ssh'), 0o755);
    chmodSync(join(bin, 'barman'), 0o755);
    shareWithPostgres(server.dir);
    env = `PATH=${bin}:/usr/bin:/bin`;
    await server.cluster.query('CREATE TABLE t (g int)');
  });
  after(async () => {
    await server?.stop();
  });

  const asPostgres = (command: string) =>
    execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `${env} ${command}`], {
      encoding: 'buffer',
    });

  it('barman-wal-archive --test and a real segment through the tar stream', async () => {
    assert.match(
      asPostgres(`barman-wal-archive --test -c ${server.configFile} backup pg x`).toString(),
      /Ready to accept WAL files for the server pg/,
    );
    await server.cluster.query('INSERT INTO t SELECT generate_series(1, 5000)');
    const [row] = await server.cluster.query<{ name: string }>(
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    await server.cluster.query('SELECT pg_switch_wal()');
    const segment = join(server.cluster.dataDir, 'pg_wal', row!.name);
    const copy = join(server.dir, row!.name);
    writeFileSync(copy, readFileSync(segment));
    shareWithPostgres(copy);
    asPostgres(`barman-wal-archive -c ${server.configFile} backup pg ${copy}`);
    const stored = readFileSync(join(server.layout.wals, row!.name.slice(0, 16), row!.name));
    assert.equal(stored[0], 0x1f, 'stored gzip-compressed');
    assert.ok(readFileSync(server.layout.xlogDb, 'utf8').includes(`${row!.name}\t`));

    const restored = join(server.dir, 'restored');
    asPostgres(`barman-wal-restore -c ${server.configFile} backup pg ${row!.name} ${restored}`);
    assert.ok(
      readFileSync(restored).equals(readFileSync(segment)),
      'barman-wal-restore gives it back',
    );
    asPostgres(
      `barman-wal-restore -z -c ${server.configFile} backup pg ${row!.name} ${restored}.z`,
    );
    assert.ok(
      readFileSync(`${restored}.z`).equals(readFileSync(segment)),
      'also with -z (gzip on the wire)',
    );
  });

  it('a damaged tar stream is refused and nothing is stored', async () => {
    const run = await server.barkeep(['put-wal', 'pg'], {
      input: Buffer.from('this is not a tar stream at all, not even close'.repeat(20)),
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^ERROR: refused put-wal stream/);
  });
});
