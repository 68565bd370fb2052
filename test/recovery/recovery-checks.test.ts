// The refusals recover makes before copying anything: DEST, the target's range, free space.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { emptyBackupInfo } from '../../src/catalog/backup-info.ts';
import { parseBackupTimestamp } from '../../src/catalog/backup-timestamp.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import {
  checkEmptyDestination,
  checkFreeSpace,
  checkTargetRange,
} from '../../src/recovery/recovery-checks.ts';
import { recoveryTarget } from '../../src/recovery/recovery-target.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-recovery-checks-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function refusal(why: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
    assert.equal(error.what, 'refused to recover');
    assert.match(error.why, why);
    return true;
  };
}

const info = {
  ...emptyBackupInfo('20261124T100000'),
  status: 'DONE' as const,
  end_time: parseBackupTimestamp('2026-11-24 10:00:05+00:00')!,
  end_xlog: '0/5000100',
};
const lastWal: { time: Date | undefined; endLsn: bigint | undefined } = {
  time: new Date('2026-11-24T11:00:00Z'),
  endLsn: 0x9000000n,
};

describe('checkEmptyDestination', () => {
  it('accepts a path that does not exist, or an empty directory', async () => {
    await checkEmptyDestination(join(scratch, 'nothing', 'here'));
    mkdirSync(join(scratch, 'empty'));
    await checkEmptyDestination(join(scratch, 'empty'));
  });

  it('refuses a directory with entries, and a file, naming what it checked', async () => {
    mkdirSync(join(scratch, 'full'));
    writeFileSync(join(scratch, 'full', 'a'), '');
    writeFileSync(join(scratch, 'full', 'b'), '');
    await assert.rejects(
      checkEmptyDestination(join(scratch, 'full'), 'directory of tablespace ts1'),
      refusal(/^the directory of tablespace ts1 exists and is not empty \(2 entries\)$/),
    );
    writeFileSync(join(scratch, 'file'), 'x');
    await assert.rejects(
      checkEmptyDestination(join(scratch, 'file')),
      refusal(/the destination exists and is not a directory/),
    );
  });

  it('reports other failures as I/O errors', async () => {
    await assert.rejects(checkEmptyDestination('/proc/self/mem/x'), (error: unknown) =>
      isBarkeepError(error),
    );
  });
});

describe('checkTargetRange', () => {
  const check = (options: Parameters<typeof recoveryTarget>[0], wal = lastWal) =>
    checkTargetRange(info, recoveryTarget(options), wal);

  it('accepts targets inside the backup end .. newest WAL range, and the others', () => {
    check({ targetTime: '2026-11-24 10:30:00+00' });
    check({ targetTime: '2026-11-24 11:00:00.9+00' }, lastWal);
    check({ targetLsn: '0/5000100' });
    check({ targetLsn: '0/9000000' });
    check({});
    check({ targetImmediate: true });
    check({ targetXid: '1' });
    check({ targetName: 'x' });
    check({ targetTime: '2030-01-01 00:00:00Z' }, { time: undefined, endLsn: undefined });
    check({ targetLsn: 'FF/0' }, { time: undefined, endLsn: undefined });
  });

  it('refuses a time before the end of the backup', () => {
    assert.throws(
      () => check({ targetTime: '2026-11-24 10:00:04+00' }),
      refusal(/backup 20261124T100000 ended at 2026-11-24 10:00:05\+00:00, after the target time/),
    );
  });

  it('refuses a time after the newest WAL (a second of slack)', () => {
    assert.throws(
      () => check({ targetTime: '2026-11-24 11:00:01.5+00' }),
      refusal(/newest WAL available was written at 2026-11-24T11:00:00.000Z/),
    );
  });

  it('refuses an LSN before the end of the backup or beyond the newest WAL', () => {
    assert.throws(
      () => check({ targetLsn: '0/50000FF' }),
      refusal(/ends at 0\/5000100, after the target LSN/),
    );
    assert.throws(() => check({ targetLsn: '0/9000001' }), refusal(/beyond the newest WAL/));
  });
});

describe('checkFreeSpace', () => {
  it('passes when the file system has room, measuring the nearest existing parent', async () => {
    await checkFreeSpace(join(scratch, 'not', 'yet', 'there'), 1024);
  });

  it('refuses when it has not, saying how much is needed and free', async () => {
    await assert.rejects(
      checkFreeSpace(join(scratch, 'dest'), Number.MAX_SAFE_INTEGER),
      refusal(/^it needs about \d+ MiB and .* has \d+ MiB free$/),
    );
  });

  it('reports a path it cannot measure as an I/O error', async () => {
    writeFileSync(join(scratch, 'plain'), '');
    await assert.rejects(checkFreeSpace(join(scratch, 'plain', 'below'), 1), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'io'), String(error));
      return true;
    });
  });
});
