// The seed's path: archive_command copies completed segments into incoming/, archive-wal moves
// them into the archive; a kill -9 in the middle of a batch loses nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decompressBuffer } from '../../src/compression/compress-buffer.ts';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { installCliForOsUser } from '../support/cli.ts';
import { lookupOsUser, smokeVersions } from '../support/cluster.ts';

const SEGMENT = /^[0-9A-F]{24}$/;

async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function produceSegments(server: ArchivedServer, count: number): Promise<void> {
  const [{ archived_count: start } = { archived_count: '0' }] = await server.cluster.query<{
    archived_count: string;
  }>('SELECT archived_count FROM pg_stat_archiver');
  for (let i = 0; i < count; i++) {
    await server.cluster.query('INSERT INTO t SELECT g FROM generate_series(1, 2000) g');
    await server.cluster.query('SELECT pg_switch_wal()');
  }
  await waitFor(async () => {
    const [row] = await server.cluster.query<{ archived_count: string }>(
      'SELECT archived_count FROM pg_stat_archiver',
    );
    return Number(row!.archived_count) >= Number(start) + count;
  }, `${count} segments in incoming/`);
}

function incomingNames(server: ArchivedServer): string[] {
  return readdirSync(server.layout.incoming)
    .filter((name) => SEGMENT.test(name))
    .sort();
}

function storedNames(server: ArchivedServer): string[] {
  return readdirSync(server.layout.wals, { recursive: true })
    .map(String)
    .filter((path) => SEGMENT.test(path.split('/').pop()!))
    .map((path) => path.split('/').pop()!)
    .sort();
}

async function assertIdentical(server: ArchivedServer, name: string): Promise<void> {
  const stored = readFileSync(join(server.layout.wals, name.slice(0, 16), name));
  const original = readFileSync(join(server.cluster.dataDir, 'pg_wal', name));
  assert.ok((await decompressBuffer(stored)).equals(original), `${name} is stored byte-identical`);
}

for (const major of smokeVersions()) {
  describe(`archive-wal from incoming/, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    before(async () => {
      server = await startArchivedServer({
        major,
        label: 'e2e-incoming',
        shipping: 'incoming',
        initdbArgs: ['--wal-segsize=1'],
        serverLines: ['compression = zstd'],
      });
      await server.cluster.query('CREATE TABLE t (g int)');
    });
    after(async () => {
      await server?.stop();
    });

    it('stores what archive_command copied into incoming/ and empties it', async () => {
      await produceSegments(server, 3);
      const waiting = incomingNames(server);
      assert.ok(waiting.length >= 3);
      const run = await server.barkeep(['archive-wal', 'pg']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Archived \d+ WAL file\(s\) for server pg/);
      assert.deepEqual(incomingNames(server), []);
      for (const name of waiting) await assertIdentical(server, name);
      const check = await server.barkeep(['check', 'pg']);
      assert.match(check.stdout, /\tWAL archive: OK\n/);
      assert.match(check.stdout, /\tarchive_command target: OK \(copied into incoming\/: /);
    });

    it("moves bad files to errors/ with Barman's suffixes and exits 1", async () => {
      const old = new Date(Date.now() - 3_600_000);
      writeFileSync(
        join(server.layout.incoming, '0000000100000000000000F3'),
        Buffer.alloc(1024 * 1024, 7),
      );
      utimesSync(join(server.layout.incoming, '0000000100000000000000F3'), old, old);
      writeFileSync(join(server.layout.incoming, 'junk.txt'), 'not wal');
      shareWithPostgres(server.layout.incoming);
      const run = await server.barkeep(['archive-wal', 'pg']);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /refused to archive '0000000100000000000000F3'/);
      const errors = readdirSync(server.layout.errors);
      assert.ok(
        errors.some((name) => /^0000000100000000000000F3\.\d{8}T\d{6}Z\.error$/.test(name)),
        errors.join(),
      );
      assert.ok(
        errors.some((name) => /^junk\.txt\.\d{8}T\d{6}Z\.unknown$/.test(name)),
        errors.join(),
      );
      assert.deepEqual(
        readdirSync(server.layout.incoming).filter((name) => !name.startsWith('.')),
        [],
      );
      const check = await server.barkeep(['check', 'pg']);
      assert.equal(check.code, 3);
      assert.match(check.stdout, /\tarchiver errors: FAILED \(error: 1, unknown: 1 in /);
    });

    it('loses nothing when killed with SIGKILL in the middle of a batch, and a re-run completes', async () => {
      await produceSegments(server, 40);
      const offered = incomingNames(server);
      assert.ok(offered.length >= 40);
      const launcher = installCliForOsUser();
      const user = process.getuid?.() === 0 ? lookupOsUser('postgres') : undefined;
      const storedBefore = storedNames(server).length;
      const child = spawn(launcher, ['-c', server.configFile, 'archive-wal', 'pg'], {
        stdio: 'ignore',
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await waitFor(
        () => storedNames(server).length >= storedBefore + 5,
        'archive-wal to store a few files',
        20_000,
      );
      child.kill('SIGKILL');
      await exited;
      const stored = new Set(storedNames(server));
      const remaining = new Set(incomingNames(server));
      assert.ok(
        remaining.size > 0,
        'killed before the end (increase the segment count if this fails)',
      );
      for (const name of offered)
        assert.ok(stored.has(name) || remaining.has(name), `${name} was lost`);
      for (const name of offered.filter((name) => stored.has(name)))
        await assertIdentical(server, name);

      const rerun = await server.barkeep(['archive-wal', 'pg']);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(incomingNames(server), []);
      const index = readFileSync(server.layout.xlogDb, 'utf8')
        .split('\n')
        .map((line) => line.split('\t')[0]);
      for (const name of offered) {
        await assertIdentical(server, name);
        assert.equal(index.filter((entry) => entry === name).length, 1, `${name} indexed once`);
      }
      assert.ok(!existsSync(join(server.layout.lockDirectory, '.pg-archive-wal.lock')));
    });

    it('rebuilds xlog.db from the stored files', async () => {
      const before = readFileSync(server.layout.xlogDb, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[0])
        .sort();
      writeFileSync(server.layout.xlogDb, '');
      const run = await server.barkeep(['rebuild-xlogdb', 'pg']);
      assert.equal(run.code, 0, run.stderr);
      const rebuilt = readFileSync(server.layout.xlogDb, 'utf8').trim().split('\n');
      assert.deepEqual(rebuilt.map((line) => line.split('\t')[0]).sort(), before);
      assert.ok(rebuilt.every((line) => /\tzstd$/.test(line)));
    });
  });
}
