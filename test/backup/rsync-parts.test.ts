// The pieces of the rsync backup methods that need no cluster: ssh_command splitting, rsync's
// -e quoting, what of PGDATA and a tablespace is copied, the balanced chunk plan, the manifest
// format (read back by verify-backup's parser), the checksum pool and the reuse base.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseBackupManifest } from '../../src/backup/backup-manifest.ts';
import { formatBackupManifest } from '../../src/backup/backup-manifest-writer.ts';
import { parseBackupLabel } from '../../src/backup/backup-session.ts';
import { FileDigestPool } from '../../src/backup/file-digest-pool.ts';
import type { ListedEntry } from '../../src/backup/rsync-file-list.ts';
import { selectPgdata, selectTablespace } from '../../src/backup/rsync-file-selection.ts';
import {
  describeHost,
  resolveRsyncHost,
  rsyncRemoteShell,
  splitSshWords,
} from '../../src/backup/rsync-host.ts';
import { balance, planCopy } from '../../src/backup/rsync-plan.ts';
import { findReuseBase } from '../../src/backup/rsync-reuse.ts';
import { emptyBackupInfo, writeBackupInfo } from '../../src/catalog/backup-info.ts';
import { parseBackupTimestamp } from '../../src/catalog/backup-timestamp.ts';
import { serverLayout } from '../../src/catalog/server-layout.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { toTimelineId } from '../../src/wal/timeline.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-rsync-parts-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function entry(type: string, path: string, size = 8192, mtimeMs = 1000): ListedEntry {
  return { type, path, size, mtimeMs };
}

describe('ssh_command for rsync', () => {
  it('splits the program and its options from the destination', () => {
    const words = ['ssh', '-p', '2222', '-i', '/k y', '-o', 'BatchMode=yes', '-4v', 'pg@db'];
    assert.deepEqual(splitSshWords(words, 'x'), {
      shell: words.slice(0, -1),
      destination: 'pg@db',
    });
    assert.equal(splitSshWords(['ssh', '-p2222', '-lpostgres', 'db'], 'x').destination, 'db');
    assert.equal(splitSshWords(['ssh', '-vp', '22', '--', 'db'], 'x').destination, 'db');
  });

  it('refuses an ssh_command without a host, or with a remote command', () => {
    for (const words of [['ssh', '-p', '22'], ['ssh', 'db', 'ls'], []]) {
      assert.throws(
        () => splitSshWords(words, words.join(' ')),
        (error: unknown) => isBarkeepError(error, 'configInvalidValue'),
      );
    }
  });

  it('expands ssh_command as the shell does and quotes the shell for rsync -e', async () => {
    const host = await resolveRsyncHost(
      'rsync',
      `ssh -i "$KEYDIR/my key" -o 'ProxyCommand=nc %h 22' postgres@db`,
      'pg',
      { ...process.env, KEYDIR: '/keys' },
    );
    assert.equal(host.kind, 'ssh');
    if (host.kind !== 'ssh') return;
    assert.equal(host.destination, 'postgres@db');
    assert.deepEqual(host.shell, ['ssh', '-i', '/keys/my key', '-o', 'ProxyCommand=nc %h 22']);
    assert.equal(rsyncRemoteShell(host), "ssh -i '/keys/my key' -o 'ProxyCommand=nc %h 22'");
    assert.equal(describeHost(host), "the PostgreSQL host 'postgres@db'");
    assert.deepEqual(await resolveRsyncHost('local-rsync', undefined, 'pg'), { kind: 'local' });
  });

  it('needs ssh_command for backup_method rsync', async () => {
    await assert.rejects(resolveRsyncHost('rsync', undefined, 'pg'), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'configInvalidValue'));
      assert.match(error.toLine(), /ssh_command/);
      return true;
    });
    await assert.rejects(resolveRsyncHost('rsync', "ssh 'unclosed", 'pg'), (error: unknown) =>
      isBarkeepError(error, 'configInvalidValue'),
    );
  });
});

describe('what of PGDATA is copied', () => {
  const listed = [
    entry('d', 'base'),
    entry('d', 'base/5'),
    entry('f', 'base/5/1259'),
    entry('f', 'base/5/16400'),
    entry('f', 'base/5/16400.1'),
    entry('f', 'base/5/16400_fsm'),
    entry('f', 'base/5/16400_init'),
    entry('f', 'base/5/pg_internal.init'),
    entry('d', 'base/pgsql_tmp'),
    entry('f', 'base/pgsql_tmp/pgsql_tmp123.0'),
    entry('d', 'pg_wal'),
    entry('f', 'pg_wal/000000010000000000000001'),
    entry('d', 'pg_wal/archive_status'),
    entry('d', 'pg_stat_tmp'),
    entry('f', 'pg_stat_tmp/global.stat'),
    entry('l', 'pg_replslot'),
    entry('d', 'pg_tblspc'),
    entry('l', 'pg_tblspc/16385'),
    entry('f', 'postmaster.pid'),
    entry('f', 'postmaster.opts'),
    entry('f', 'backup_label.old'),
    entry('f', 'postgresql.auto.conf'),
    entry('s', 'socket'),
    entry('d', 'inside'),
    entry('f', 'inside/PG_15_1/1'),
    entry('l', 'log'),
  ];

  it("leaves out what pg_basebackup leaves out and keeps the directories' places", () => {
    const selection = selectPgdata(listed, ['inside']);
    assert.deepEqual(
      selection.files.map((file) => file.path),
      ['base/5/1259', 'base/5/16400_init', 'postgresql.auto.conf'],
    );
    assert.deepEqual(selection.structure, ['base', 'base/5', 'pg_tblspc', 'log']);
    assert.deepEqual(selection.emptyDirectories, [
      'pg_wal',
      'pg_wal/archive_status',
      'pg_stat_tmp',
      'pg_replslot',
    ]);
  });

  it("keeps only this major's directory of a tablespace", () => {
    const selection = selectTablespace(
      [
        entry('d', 'PG_15_202209061'),
        entry('d', 'PG_15_202209061/5'),
        entry('f', 'PG_15_202209061/5/16390'),
        entry('d', 'PG_14_202107181'),
        entry('f', 'PG_14_202107181/5/16390'),
        entry('f', 'PG_150_x'),
      ],
      15,
    );
    assert.deepEqual(selection.structure, ['PG_15_202209061', 'PG_15_202209061/5']);
    assert.deepEqual(
      selection.files.map((file) => file.path),
      ['PG_15_202209061/5/16390'],
    );
  });
});

describe('the copy plan', () => {
  const files = [100, 90, 50, 40, 30, 5, 5, 1].map((size, index) => ({
    path: `f${index}`,
    size: size * 1024 * 1024,
    mtimeMs: index < 4 ? 1000 : 5000,
  }));

  it('balances files by size', () => {
    const bins = balance(files, 2);
    const sums = bins.map((bin) => bin.reduce((sum, file) => sum + file.size, 0) / 2 ** 20);
    assert.equal(bins.length, 2);
    assert.ok(Math.abs(sums[0]! - sums[1]!) <= 30, `${sums}`);
    assert.equal(balance(files.slice(0, 1), 4).length, 1);
  });

  it('runs one chunk per job unless asked to split by size (each run is an ssh connection)', () => {
    const big = Array.from({ length: 12 }, (_, i) => ({
      path: `g${i}`,
      size: 512 * 1024 * 1024,
      mtimeMs: 1000,
    }));
    assert.equal(planCopy([big], { jobs: 1, horizonMs: undefined }).length, 1);
    assert.equal(planCopy([big], { jobs: 2, horizonMs: undefined }).length, 2);
    assert.equal(
      planCopy([big], { jobs: 2, horizonMs: undefined, chunkBytes: 256 * 1024 * 1024 }).length,
      8,
    );
  });

  it('runs at least one chunk per job, splits by the reuse horizon, largest first', () => {
    const plain = planCopy([files], { jobs: 3, horizonMs: undefined });
    assert.equal(plain.length, 3);
    assert.ok(plain.every((chunk) => chunk.check === 'full' && chunk.tree === 0));
    assert.equal(
      plain.reduce((sum, chunk) => sum + chunk.files.length, 0),
      files.length,
    );
    const reusing = planCopy([files, files.slice(0, 1)], {
      jobs: 1,
      horizonMs: 2000,
      chunkBytes: 64 * 1024 * 1024,
    });
    const quick = reusing.filter((chunk) => chunk.check === 'quick').flatMap((c) => c.files);
    assert.deepEqual(quick.map((file) => file.path).sort(), ['f0', 'f0', 'f1', 'f2', 'f3']);
    assert.ok(reusing.some((chunk) => chunk.tree === 1));
    assert.deepEqual(
      reusing.map((chunk) => chunk.bytes),
      [...reusing.map((chunk) => chunk.bytes)].sort((a, b) => b - a),
    );
    assert.ok(reusing.length <= 4 + 1);
  });

  it('keeps unchanged files together: they are linked, not sent, so splitting them buys nothing', () => {
    // 1 GiB that the quick check will find unchanged, and one small file changed since.
    const unchanged = Array.from({ length: 8 }, (_, i) => ({
      path: `big${i}`,
      size: 128 * 1024 * 1024,
      mtimeMs: 1000,
    }));
    const chunks = planCopy([[...unchanged, { path: 'new', size: 8192, mtimeMs: 5000 }]], {
      jobs: 1,
      horizonMs: 2000,
    });
    assert.deepEqual(
      chunks.map((chunk) => [chunk.check, chunk.files.length]),
      [
        ['quick', 8],
        ['full', 1],
      ],
    );
  });
});

describe('the manifest barkeep writes', () => {
  it("is read back by verify-backup's parser with its checksum intact", () => {
    const odd = Buffer.from([0x73, 0xff, 0x41]).toString('latin1');
    const accented = Buffer.from('pg_tblspc/16385/PG_15_1/ü"x', 'utf8').toString('latin1');
    const raw = formatBackupManifest(
      [
        {
          key: 'global/pg_control',
          size: 8192,
          mtimeMs: 1_700_000_000_500,
          sha256: 'ab'.repeat(32),
        },
        { key: 'backup_label', size: 10, mtimeMs: 0, sha256: 'cd'.repeat(32) },
        { key: odd, size: 3, mtimeMs: 0, sha256: 'ef'.repeat(32) },
        { key: accented, size: 1, mtimeMs: 0, sha256: '01'.repeat(32) },
      ],
      { timeline: toTimelineId(2), startLsn: '0/2000028', endLsn: '0/2000100' },
    );
    const text = raw.toString('utf8');
    assert.match(
      text,
      /^\{ "PostgreSQL-Backup-Manifest-Version": 1,\n"Files": \[\n\{ "Path": "backup_label"/,
    );
    assert.ok(text.includes('"Last-Modified": "2023-11-14 22:13:20 GMT"'), text);
    assert.ok(text.includes(`"Encoded-Path": "73ff41"`), text);
    assert.ok(text.includes('{ "Timeline": 2, "Start-LSN": "0/2000028", "End-LSN": "0/2000100" }'));
    const manifest = parseBackupManifest(raw);
    assert.deepEqual(manifest.problems, []);
    assert.equal(manifest.startLsn, '0/2000028');
    assert.deepEqual(
      manifest.files.map((file) => [file.display, file.algorithm]).sort(),
      [
        ['backup_label', 'SHA256'],
        ['global/pg_control', 'SHA256'],
        ['pg_tblspc/16385/PG_15_1/ü"x', 'SHA256'],
        [Buffer.from(odd, 'latin1').toString('utf8'), 'SHA256'],
      ].sort(),
    );
    const empty = parseBackupManifest(
      formatBackupManifest([], { timeline: toTimelineId(1), startLsn: '0/1', endLsn: '0/2' }),
    );
    assert.deepEqual([empty.files, empty.problems], [[], []]);
  });

  it('reads the start of a backup_label', () => {
    const facts = parseBackupLabel(
      'START WAL LOCATION: 0/9000028 (file 000000030000000000000009)\nCHECKPOINT LOCATION: 0/9000060\nSTART TIMELINE: 3\n',
    );
    assert.equal(facts.timeline, 3);
    assert.equal(facts.startLsn, 0x9000028n);
    assert.throws(() => parseBackupLabel('nothing'), /START WAL LOCATION/);
  });
});

describe('the checksum pool', () => {
  it('hashes and flushes files on worker threads, and reports a missing one', async () => {
    const pool = new FileDigestPool(2);
    try {
      const names = ['a', 'b', 'c'];
      for (const [index, name] of names.entries())
        writeFileSync(join(scratch, name), Buffer.alloc(1024 * 1024 * index + 7, name));
      const digests = await Promise.all(
        names.map((name) =>
          pool.digest({ path: Buffer.from(join(scratch, name)), hash: true, sync: true }),
        ),
      );
      for (const [index, name] of names.entries()) {
        const bytes = Buffer.alloc(1024 * 1024 * index + 7, name);
        assert.equal(digests[index]!.sha256, createHash('sha256').update(bytes).digest('hex'));
        assert.equal(digests[index]!.size, bytes.length);
      }
      const unhashed = await pool.digest({
        path: Buffer.from(join(scratch, 'a')),
        hash: false,
        sync: true,
      });
      assert.equal(unhashed.sha256, undefined);
      await assert.rejects(
        pool.digest({ path: Buffer.from(join(scratch, 'none')), hash: true, sync: false }),
        (error: unknown) => isBarkeepError(error, 'io'),
      );
    } finally {
      await pool.close();
    }
  });
});

describe('the backup reused', () => {
  it('is the newest DONE plain rsync backup before this one, its start the horizon', async () => {
    const home = join(scratch, 'home');
    const layout = serverLayout('pg', { barman_home: home });
    const write = async (id: string, fields: Record<string, unknown>) => {
      mkdirSync(join(layout.base, id, 'data'), { recursive: true });
      await writeBackupInfo(join(layout.base, id, 'backup.info'), {
        ...emptyBackupInfo(id),
        status: 'DONE',
        mode: 'rsync-concurrent',
        begin_time: parseBackupTimestamp('2030-01-01 10:00:00+00:00')!,
        ...fields,
      });
    };
    assert.deepEqual(await findReuseBase(layout, '20300101T120000', 'off'), { base: undefined });
    const none = await findReuseBase(layout, '20300101T120000', 'link');
    assert.match(none.reason!, /no earlier DONE backup/);
    await write('20300101T100000', {});
    await write('20300101T110000', { status: 'FAILED' });
    const found = await findReuseBase(layout, '20300101T120000', 'copy');
    assert.equal(found.base?.info.backup_id, '20300101T100000');
    assert.equal(found.base?.mode, 'copy');
    assert.equal(found.base?.horizonMs, Date.UTC(2030, 0, 1, 10) - 1000);
    assert.equal(found.base?.manifest.size, 0);
    await write('20300101T113000', { mode: 'postgres' });
    const postgres = await findReuseBase(layout, '20300101T120000', 'link');
    assert.equal(postgres.base, undefined);
    assert.match(postgres.reason!, /20300101T113000 is not a plain rsync copy \(mode postgres\)/);
  });
});
