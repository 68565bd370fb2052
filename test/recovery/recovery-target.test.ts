// The recovery target options: one at most, each checked for its form before anything happens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { recoveryTarget } from '../../src/recovery/recovery-target.ts';

function usageError(run: () => unknown, why: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isBarkeepError(error, 'usage'), String(error));
    assert.match(error.message, why);
    return true;
  });
}

describe('recoveryTarget', () => {
  it('is latest without options, immediate with --target-immediate', () => {
    assert.deepEqual(recoveryTarget({}), { kind: 'latest' });
    assert.deepEqual(recoveryTarget({ targetImmediate: false }), { kind: 'latest' });
    assert.deepEqual(recoveryTarget({ targetImmediate: true }), { kind: 'immediate' });
  });

  it('keeps the xid, LSN and restore point name as given', () => {
    assert.deepEqual(recoveryTarget({ targetXid: '7421' }), { kind: 'xid', value: '7421' });
    assert.deepEqual(recoveryTarget({ targetLsn: '0/3000060' }), {
      kind: 'lsn',
      value: '0/3000060',
    });
    assert.deepEqual(recoveryTarget({ targetName: "before 'upgrade'" }), {
      kind: 'name',
      value: "before 'upgrade'",
    });
  });

  it('refuses two targets at once, naming both', () => {
    usageError(
      () => recoveryTarget({ targetName: 'p', targetXid: '5' }),
      /--target-xid and --target-name/,
    );
    usageError(
      () => recoveryTarget({ targetTime: '2026-01-01 00:00:00Z', targetImmediate: true }),
      /--target-time and --target-immediate': only one recovery target/,
    );
  });

  it('refuses malformed values', () => {
    usageError(() => recoveryTarget({ targetXid: '12a' }), /whole number/);
    usageError(() => recoveryTarget({ targetXid: '-3' }), /whole number/);
    usageError(() => recoveryTarget({ targetLsn: '3000060' }), /an LSN is written like/);
    usageError(() => recoveryTarget({ targetLsn: '0/XYZ' }), /an LSN is written like/);
    usageError(() => recoveryTarget({ targetName: '' }), /restore point name is empty/);
    usageError(() => recoveryTarget({ targetTime: 'yesterday' }), /a target time is written/);
    usageError(() => recoveryTarget({ targetTime: '2026-13-01 10:00' }), /not a valid date/);
    usageError(() => recoveryTarget({ targetTime: '2026-01-01 25:00' }), /not a valid date/);
  });

  it('refuses a day the month does not have (Date would roll it over, PostgreSQL refuses it)', () => {
    usageError(() => recoveryTarget({ targetTime: '2026-02-30 10:00:00+00' }), /not a valid/);
    usageError(() => recoveryTarget({ targetTime: '2026-04-31 10:00' }), /not a valid/);
    const leap = recoveryTarget({ targetTime: '2028-02-29 10:00:00Z' });
    assert.equal(leap.kind === 'time' && leap.date.toISOString(), '2028-02-29T10:00:00.000Z');
  });

  it('reads a target time with any zone form PostgreSQL prints or accepts', () => {
    const instant = (text: string) => {
      const target = recoveryTarget({ targetTime: text });
      assert.equal(target.kind, 'time');
      return target.kind === 'time' ? target.date.toISOString() : '';
    };
    assert.equal(instant('2026-11-24 10:15:00+00'), '2026-11-24T10:15:00.000Z');
    assert.equal(instant('2026-11-24 10:15:00.123456+00'), '2026-11-24T10:15:00.123Z');
    assert.equal(instant('2026-11-24T10:15Z'), '2026-11-24T10:15:00.000Z');
    assert.equal(instant('2026-11-24 10:15:00 UTC'), '2026-11-24T10:15:00.000Z');
    assert.equal(instant('2026-11-24 12:15:00+02'), '2026-11-24T10:15:00.000Z');
    assert.equal(instant('2026-11-24 15:45:00+0530'), '2026-11-24T10:15:00.000Z');
    assert.equal(instant('2026-11-24 05:15:00-05:00'), '2026-11-24T10:15:00.000Z');
    const local = recoveryTarget({ targetTime: '2026-11-24 10:15:00' });
    assert.equal(
      local.kind === 'time' && local.date.getTime(),
      new Date(2026, 10, 24, 10, 15, 0).getTime(),
    );
    assert.equal(local.kind === 'time' && local.value, '2026-11-24 10:15:00');
  });
});
