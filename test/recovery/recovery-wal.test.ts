// Which WAL a recovery uses, found in a hand-made catalog: the timelines on the way to the
// target, segments from the backup's begin_wal on, the streaming .partial; copied decompressed.
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emptyBackupInfo } from '../../src/catalog/backup-info.ts';
import { serverLayout } from '../../src/catalog/server-layout.ts';
import { compressBuffer } from '../../src/compression/compress-buffer.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { lastWalPosition } from '../../src/recovery/last-wal-position.ts';
import {
  availableWal,
  copyRecoveryWal,
  recoveryWalDirectory,
} from '../../src/recovery/recovery-wal.ts';
import { lookupOsUser } from '../support/cluster.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-recovery-wal-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const home = join(scratch, 'home');
const layout = serverLayout('pg', { barman_home: home });
const info = {
  ...emptyBackupInfo('20261124T100000'),
  status: 'DONE' as const,
  timeline: 1,
  begin_wal: '000000010000000000000002',
};
let server: ServerConfig;

/** Content that tells segments apart (not valid WAL; get-wal does not need it to be). */
function segment(name: string, size = 64): Buffer {
  return Buffer.from(name.padEnd(size, '.'));
}

function archive(name: string, data: Buffer = segment(name)): void {
  const directory = name.endsWith('.history') ? layout.wals : join(layout.wals, name.slice(0, 16));
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, name), data);
}

function stream(name: string, data: Buffer = segment(name)): void {
  mkdirSync(layout.streaming, { recursive: true });
  writeFileSync(join(layout.streaming, name), data);
}

before(async () => {
  const file = join(scratch, 'barkeep.conf');
  writeFileSync(file, `[barkeep]\nbarman_home = ${home}\n\n[pg]\nconninfo = host=/nowhere\n`);
  server = (await loadConfig({ explicitFile: file })).servers.get('pg')!;
  // Timeline 1 from before the backup on; timeline 2 branched at 0/4000000 (a promotion);
  // timeline 3, a sibling of 2, branched off timeline 1 at 0/3000000 (an earlier PITR).
  for (const name of ['000000010000000000000001', '000000010000000000000002']) archive(name);
  archive(
    '000000010000000000000003',
    await compressBuffer('gzip', segment('000000010000000000000003')),
  );
  archive('00000002.history', Buffer.from('1\t0/4000000\tno recovery target specified\n'));
  archive('000000020000000000000004');
  archive('000000020000000000000005');
  stream('000000020000000000000006');
  stream('000000020000000000000007.partial', segment('000000020000000000000007', 100));
  stream('000000010000000000000004.partial');
  utimesSync(
    join(layout.streaming, '000000020000000000000007.partial'),
    new Date(),
    new Date('2026-11-24T12:00:00Z'),
  );
});

describe('availableWal', () => {
  it('latest: the newest timeline descending from the backup, with its ancestors', async () => {
    const wal = await availableWal(layout, info, undefined);
    assert.deepEqual([...wal.timelines].sort(), [1, 2]);
    assert.deepEqual(wal.histories, ['00000002.history']);
    assert.deepEqual(wal.segments, [
      '000000010000000000000002',
      '000000010000000000000003',
      '000000020000000000000004',
      '000000020000000000000005',
      '000000020000000000000006',
    ]);
    assert.equal(wal.partial, '000000020000000000000007', 'the newest .partial on the path');
    assert.deepEqual(await availableWal(layout, info, 'latest'), wal);
  });

  it("a timeline number or 'current' keeps to that timeline's path", async () => {
    const current = await availableWal(layout, info, 'current');
    assert.deepEqual([...current.timelines], [1]);
    assert.deepEqual(current.segments, ['000000010000000000000002', '000000010000000000000003']);
    assert.equal(current.partial, '000000010000000000000004');
    const two = await availableWal(layout, info, '2');
    assert.deepEqual([...two.timelines].sort(), [1, 2]);
  });

  it('latest picks a newer sibling timeline too, as PostgreSQL does', async () => {
    archive('00000003.history', Buffer.from('1\t0/3000000\tbefore 2\n'));
    archive('000000030000000000000003');
    try {
      const wal = await availableWal(layout, info, undefined);
      assert.deepEqual([...wal.timelines].sort(), [1, 3]);
      assert.ok(wal.segments.includes('000000030000000000000003'));
      assert.ok(!wal.segments.includes('000000020000000000000004'));
      // A backup on timeline 2 does not descend to 3: its latest stays 2.
      const onTwo = await availableWal(
        layout,
        { ...info, timeline: 2, begin_wal: '000000020000000000000004' },
        undefined,
      );
      assert.deepEqual([...onTwo.timelines].sort(), [1, 2]);
    } finally {
      rmSync(join(layout.wals, '00000003.history'));
      rmSync(join(layout.wals, '0000000300000000'), { recursive: true });
    }
  });

  it('refuses a --target-tli that is not a timeline, or does not descend from the backup', async () => {
    for (const bad of ['two', '0', '-1', '2.5', '']) {
      await assert.rejects(
        availableWal(layout, info, bad),
        (error: unknown) => isBarkeepError(error, 'usage') && /--target-tli/.test(error.what),
        bad,
      );
    }
    await assert.rejects(availableWal(layout, info, '5'), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
      assert.match(error.why, /does not descend from timeline 1 of the backup/);
      return true;
    });
    const onTwo = { ...info, timeline: 2, begin_wal: '000000020000000000000004' };
    await assert.rejects(availableWal(layout, onTwo, '1'), (error: unknown) =>
      isBarkeepError(error, 'operationFailed'),
    );
  });

  it('reports a corrupt history file by its path', async () => {
    const corrupt = serverLayout('corrupt', { barman_home: home });
    mkdirSync(corrupt.wals, { recursive: true });
    writeFileSync(join(corrupt.wals, '00000002.history'), 'not\ta history\n');
    await assert.rejects(availableWal(corrupt, info, '2'), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
      assert.equal(error.what, 'unreadable timeline history file');
      return true;
    });
  });

  it('an empty catalog has nothing', async () => {
    const empty = serverLayout('none', { barman_home: home });
    const wal = await availableWal(empty, info, undefined);
    assert.deepEqual(wal, {
      segments: [],
      histories: [],
      partial: undefined,
      timelines: new Set([1]),
    });
    assert.deepEqual(await lastWalPosition(empty, wal, info), {
      time: undefined,
      endLsn: undefined,
    });
  });
});

describe('lastWalPosition', () => {
  it('reaches as far as the .partial goes (to the end of the WAL page of its last non-zero byte), at its modification time', async () => {
    const wal = await availableWal(layout, info, undefined);
    const position = await lastWalPosition(layout, wal, info);
    assert.equal(position.endLsn, 0x7000000n + 8192n, '100 bytes of WAL: the first page');
    // Zero-filled to full size as the receiver writes it: the size tells nothing, the zeros do.
    const padded = join(layout.streaming, '000000020000000000000007.partial');
    const original = readFileSync(padded);
    const stamp = statSync(padded).mtime;
    const zeroFilled = Buffer.alloc(16 * 1024 * 1024);
    original.copy(zeroFilled);
    zeroFilled[9000] = 1;
    writeFileSync(padded, zeroFilled);
    utimesSync(padded, stamp, stamp);
    try {
      const again = await lastWalPosition(layout, wal, info);
      assert.equal(again.endLsn, 0x7000000n + 16384n, 'a byte in the second page');
    } finally {
      writeFileSync(padded, original);
      utimesSync(padded, stamp, stamp);
    }
    const newestComplete = statSync(join(layout.streaming, '000000020000000000000006')).mtime;
    assert.equal(position.time?.getTime(), newestComplete.getTime());
  });

  it('without a .partial: the end of the newest complete segment', async () => {
    const wal = await availableWal(layout, info, undefined);
    const position = await lastWalPosition(layout, { ...wal, partial: undefined }, info);
    assert.equal(position.endLsn, 0x7000000n);
    const archivedOnly = { ...wal, segments: wal.segments.slice(0, 4), partial: undefined };
    assert.equal((await lastWalPosition(layout, archivedOnly, info)).endLsn, 0x6000000n);
  });
});

describe('copyRecoveryWal', () => {
  it('copies the histories, segments and the .partial under its segment name, decompressed', async () => {
    const dest = join(scratch, 'dest');
    mkdirSync(dest);
    const wal = await availableWal(layout, info, undefined);
    const owner =
      process.getuid?.() === 0
        ? (({ uid, gid }) => ({ uid, gid }))(lookupOsUser('postgres'))
        : undefined;
    const count = await copyRecoveryWal(server, wal, dest, owner);
    const directory = join(dest, recoveryWalDirectory);
    assert.equal(count, 7);
    assert.deepEqual(readdirSync(directory).sort(), [
      '000000010000000000000002',
      '000000010000000000000003',
      '00000002.history',
      '000000020000000000000004',
      '000000020000000000000005',
      '000000020000000000000006',
      '000000020000000000000007',
    ]);
    assert.deepEqual(
      readFileSync(join(directory, '000000010000000000000003')),
      segment('000000010000000000000003'),
      'decompressed',
    );
    assert.deepEqual(
      readFileSync(join(directory, '000000020000000000000007')),
      segment('000000020000000000000007', 100),
    );
    assert.equal(statSync(directory).mode & 0o777, 0o700);
    if (owner) assert.equal(statSync(join(directory, '000000020000000000000007')).uid, owner.uid);
  });
});
