// WAL archiving as an operator runs it: archive_command = barkeep put-wal, every compression,
// every segment back byte-identical through get-wal, and bad input refused with nothing lost.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { smokeVersions, startThrowawayCluster } from '../support/cluster.ts';

const MAGIC: Record<string, (bytes: Buffer) => boolean> = {
  none: (bytes) => bytes[1] === 0xd1,
  gzip: (bytes) => bytes[0] === 0x1f && bytes[1] === 0x8b,
  zstd: (bytes) => bytes.readUInt32LE(0) === 0xfd2fb528,
  lz4: (bytes) => bytes.readUInt32LE(0) === 0x184d2204,
};

async function switchAndWait(server: ArchivedServer, rows: number): Promise<string> {
  await server.cluster.query(`INSERT INTO t SELECT g FROM generate_series(1, ${rows}) g`);
  const [row] = await server.cluster.query<{ name: string }>(
    'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
  );
  const run = await server.barkeep(['switch-wal', '--archive', '--archive-timeout', '30', 'pg']);
  assert.equal(run.code, 0, run.stderr);
  return row!.name;
}

function storedFile(server: ArchivedServer, name: string): string {
  return join(server.layout.wals, name.slice(0, 16), name);
}

for (const major of smokeVersions()) {
  describe(`WAL archive through put-wal, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    const archived = new Map<string, string>();

    before(async () => {
      server = await startArchivedServer({ major, label: 'e2e-wal' });
      await server.cluster.query('CREATE TABLE t (g int)');
    });
    after(async () => {
      await server?.stop();
    });

    it('archives with each compression, told apart by magic bytes, and indexes xlog.db', async () => {
      for (const compression of ['none', 'gzip', 'zstd', 'lz4']) {
        server.writeConfig([`compression = ${compression}`]);
        const name = await switchAndWait(server, 20_000);
        archived.set(name, compression);
        const stored = readFileSync(storedFile(server, name));
        assert.ok(MAGIC[compression]!(stored), `${name} stored with ${compression}`);
        const line = readFileSync(server.layout.xlogDb, 'utf8')
          .split('\n')
          .find((l) => l.startsWith(`${name}\t`));
        assert.ok(line, `${name} is in xlog.db`);
        const fields = line.split('\t');
        assert.equal(fields[1], String(stored.length));
        assert.equal(fields[3], compression === 'none' ? 'None' : compression);
      }
    });

    it('gives every archived segment back byte-identical through get-wal (stdout and -o)', async () => {
      for (const name of archived.keys()) {
        const original = readFileSync(join(server.cluster.dataDir, 'pg_wal', name));
        const viaStdout = await server.barkeep(['get-wal', 'pg', name]);
        assert.equal(viaStdout.code, 0, viaStdout.stderr);
        assert.ok(viaStdout.stdoutBuffer.equals(original), `${name} via stdout`);
      }
      const [first] = archived.keys();
      const out = join(server.dir, 'restore');
      execFileSync('mkdir', ['-p', out]);
      shareWithPostgres(out);
      const run = await server.barkeep(['get-wal', '-o', out, 'pg', first!]);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(
        readFileSync(join(out, first!)).equals(
          readFileSync(join(server.cluster.dataDir, 'pg_wal', first!)),
        ),
      );
    });

    it('exits 1 for a segment the archive does not have, 2 for a bad name', async () => {
      const missing = await server.barkeep(['get-wal', 'pg', '0000000100000000000000FF']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^ERROR: WAL file not found '0000000100000000000000FF'/);
      const bad = await server.barkeep(['get-wal', 'pg', 'not-a-wal']);
      assert.equal(bad.code, 2);
    });

    it('peeks at the following segments and answers --test', async () => {
      const names = [...archived.keys()].sort();
      const peek = await server.barkeep(['get-wal', '--peek', '10', 'pg', names[0]!]);
      assert.equal(peek.code, 0, peek.stderr);
      const listed = peek.stdout.trim().split('\n');
      assert.equal(listed[0], names[0]);
      assert.ok(listed.length >= 1 && listed.every((name) => /^[0-9A-F]{24}$/.test(name)));
      const test = await server.barkeep(['get-wal', '--test', 'pg', names[0]!]);
      assert.equal(test.stdout, 'Ready to retrieve WAL files from the server pg\n');
    });

    it('accepts the same segment again with the same content and changes nothing', async () => {
      const [name] = archived.keys();
      const path = storedFile(server, name!);
      const before = statSync(path);
      const copy = join(server.dir, name!);
      copyFileSync(join(server.cluster.dataDir, 'pg_wal', name!), copy);
      shareWithPostgres(copy);
      const run = await server.barkeep(['put-wal', 'pg', copy]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(statSync(path).mtimeMs, before.mtimeMs);
    });

    describe('refuses bad input, and what was stored stays as it was', () => {
      const offer = async (fileName: string, data: Buffer) => {
        const dir = join(server.dir, 'offers', String(Math.random()).slice(2));
        execFileSync('mkdir', ['-p', dir]);
        writeFileSync(join(dir, fileName), data);
        shareWithPostgres(join(server.dir, 'offers'));
        return server.barkeep(['put-wal', 'pg', join(dir, fileName)]);
      };
      const snapshot = () =>
        readdirSync(server.layout.wals, { recursive: true })
          .map(String)
          .sort()
          .map((file) => `${file}:${statSync(join(server.layout.wals, file)).size}`)
          .join('\n');

      it('a duplicate name with other content: exit 1, kept in errors/ as .duplicate', async () => {
        const [name] = archived.keys();
        const before = snapshot();
        const altered = readFileSync(join(server.cluster.dataDir, 'pg_wal', name!));
        altered.writeUInt8(altered.readUInt8(altered.length - 1) ^ 0xff, altered.length - 1);
        const run = await offer(name!, altered);
        assert.equal(run.code, 1);
        assert.match(
          run.stderr,
          new RegExp(
            `ERROR: refused to archive '${name}': a different file with this name is already archived`,
          ),
        );
        assert.equal(snapshot(), before);
        const kept = readdirSync(server.layout.errors).filter(
          (file) => file.startsWith(`${name}.`) && file.endsWith('.duplicate'),
        );
        assert.equal(kept.length, 1);
        assert.match(kept[0]!, /^[0-9A-F]{24}\.\d{8}T\d{6}Z\.duplicate$/);
        const again = await offer(name!, altered);
        assert.equal(again.code, 1);
        assert.equal(
          readdirSync(server.layout.errors).filter((file) => file.startsWith(`${name}.`)).length,
          1,
          'a retry does not add copies',
        );
      });

      it('a segment of another cluster: exit 1 naming the system identifiers', async () => {
        const other = await startThrowawayCluster({ major, label: 'e2e-foreign' });
        try {
          await other.query('SELECT pg_switch_wal()');
          const segment = readdirSync(join(other.dataDir, 'pg_wal'))
            .filter((file) => /^[0-9A-F]{24}$/.test(file))
            .sort()[0]!;
          const before = snapshot();
          const run = await offer(
            '0000000100000000000000F0',
            readFileSync(join(other.dataDir, 'pg_wal', segment)),
          );
          assert.equal(run.code, 1);
          assert.match(run.stderr, /system identifier \d+ is not this server's/);
          assert.equal(snapshot(), before);
        } finally {
          await other.stop();
        }
      });

      it('a truncated segment, random bytes, an unknown name: exit 1 each, nothing stored', async () => {
        const [name] = archived.keys();
        const segment = readFileSync(join(server.cluster.dataDir, 'pg_wal', name!));
        const before = snapshot();
        const truncated = await offer('0000000100000000000000F1', segment.subarray(0, 1024 * 1024));
        assert.equal(truncated.code, 1);
        assert.match(truncated.stderr, /refused to archive '0000000100000000000000F1'/);
        const random = await offer(
          '0000000100000000000000F2',
          Buffer.alloc(16 * 1024 * 1024, 0x5a),
        );
        assert.equal(random.code, 1);
        assert.match(random.stderr, /bad magic/);
        const unknown = await offer('backup.tar', Buffer.from('hello'));
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /the name is not a WAL segment/);
        assert.equal(snapshot(), before);
      });

      it('an unwritable catalog: exit 1 naming the cause, nothing stored', {
        skip: process.getuid?.() !== 0 ? 'needs root to switch to the postgres user' : false,
      }, async () => {
        const segmentDirectory = join(server.layout.wals, '0000000100000000');
        // Unwritable before the switch, so PostgreSQL's own archiver cannot store it either.
        chmodSync(server.layout.wals, 0o500);
        chmodSync(segmentDirectory, 0o500);
        try {
          await server.cluster.query('INSERT INTO t SELECT g FROM generate_series(1, 1000) g');
          const [row] = await server.cluster.query<{ name: string }>(
            'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
          );
          await server.cluster.query('SELECT pg_switch_wal()');
          const copy = join(server.dir, 'offers', 'unwritable');
          execFileSync('mkdir', ['-p', copy]);
          const segmentPath = join(copy, row!.name);
          copyFileSync(join(server.cluster.dataDir, 'pg_wal', row!.name), segmentPath);
          shareWithPostgres(join(server.dir, 'offers'));
          const run = await server.barkeep(['put-wal', 'pg', segmentPath]);
          assert.equal(run.code, 1);
          assert.match(run.stderr, /^ERROR: cannot write file '.*': permission denied\./);
          assert.ok(!existsSync(storedFile(server, row!.name)), 'nothing stored');
        } finally {
          chmodSync(server.layout.wals, 0o700);
          chmodSync(segmentDirectory, 0o700);
        }
      });
    });
  });
}
