import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareLsn,
  formatLsn,
  INVALID_LSN,
  type Lsn,
  lsnFromParts,
  lsnParts,
  MAX_LSN,
  maxLsn,
  minLsn,
  parseLsn,
  toLsn,
} from '../../src/wal/lsn.ts';
import { WalFormatError } from '../../src/wal/wal-format-error.ts';

describe('parseLsn', () => {
  it('reads hi/lo hexadecimal halves into a 64-bit bigint', () => {
    assert.equal(parseLsn('16/B374D848'), 0x16_b374_d848n);
    assert.equal(parseLsn('0/0'), 0n);
    assert.equal(parseLsn('0/1000028'), 0x100_0028n);
    assert.equal(parseLsn('FFFFFFFF/FFFFFFFF'), 0xffff_ffff_ffff_ffffn);
  });

  it('keeps every bit above 2^53, where JS numbers would round', () => {
    const lsn = parseLsn('FFFFFFFF/FFFFFFFF');
    assert.equal(lsn, MAX_LSN);
    assert.equal(parseLsn('200000/1'), (0x200000n << 32n) + 1n);
    assert.notEqual(parseLsn('FFFFFFFF/FFFFFFFE'), parseLsn('FFFFFFFF/FFFFFFFF'));
  });

  it('accepts lowercase and zero padding, as the pg_lsn input function does', () => {
    assert.equal(parseLsn('16/b374d848'), 0x16_b374_d848n);
    assert.equal(parseLsn('00000000/00000001'), 1n);
  });

  for (const bad of [
    '',
    '16',
    '16/',
    '/1',
    '16/B374D848 ',
    ' 16/B374D848',
    '0x16/1',
    '-1/0',
    '+1/0',
    '123456789/0',
    '0/123456789',
    '1/2/3',
    'G/0',
    '1.5/0',
    '16\\B374D848',
  ]) {
    it(`refuses '${bad}' with a WalFormatError`, () => {
      assert.throws(
        () => parseLsn(bad),
        (error: unknown) =>
          error instanceof WalFormatError && error.reason.includes('is not a WAL location'),
      );
    });
  }
});

describe('formatLsn', () => {
  it('prints uppercase halves without leading zeros, like PostgreSQL', () => {
    assert.equal(formatLsn(0x16_b374_d848n as Lsn), '16/B374D848');
    assert.equal(formatLsn(INVALID_LSN), '0/0');
    assert.equal(formatLsn(0x100_0028n as Lsn), '0/1000028');
    assert.equal(formatLsn(0x1_0000_0000n as Lsn), '1/0');
    assert.equal(formatLsn(MAX_LSN), 'FFFFFFFF/FFFFFFFF');
  });

  it('round-trips with parseLsn', () => {
    for (const text of ['0/0', '0/1', 'A/0', '16/B374D848', 'FFFFFFFF/FFFFFFFF', '1/FFFFFFFF']) {
      assert.equal(formatLsn(parseLsn(text)), text);
    }
    assert.equal(formatLsn(parseLsn('0000000A/00000ab0')), 'A/AB0');
  });
});

describe('lsnFromParts and lsnParts', () => {
  it('combine and split the 32-bit halves', () => {
    assert.equal(lsnFromParts(0x16, 0xb374d848), 0x16_b374_d848n);
    assert.equal(lsnFromParts(0xffffffff, 0xffffffff), MAX_LSN);
    assert.deepEqual(lsnParts(0x16_b374_d848n as Lsn), { hi: 0x16, lo: 0xb374d848 });
    assert.deepEqual(lsnParts(MAX_LSN), { hi: 0xffffffff, lo: 0xffffffff });
  });

  for (const [hi, lo] of [
    [-1, 0],
    [0, -1],
    [0x1_0000_0000, 0],
    [0, 0x1_0000_0000],
    [1.5, 0],
    [0, Number.NaN],
  ]) {
    it(`refuses the halves ${hi}, ${lo}`, () => {
      assert.throws(() => lsnFromParts(hi!, lo!), RangeError);
    });
  }
});

describe('toLsn', () => {
  it('brands values of the 64-bit address space and refuses the others', () => {
    assert.equal(toLsn(0n), INVALID_LSN);
    assert.equal(toLsn(2n ** 64n - 1n), MAX_LSN);
    assert.throws(() => toLsn(-1n), RangeError);
    assert.throws(() => toLsn(2n ** 64n), RangeError);
  });
});

describe('comparisons', () => {
  const a = parseLsn('0/FFFFFFFF');
  const b = parseLsn('1/0');
  it('order LSNs numerically, not as text', () => {
    assert.equal(compareLsn(a, b), -1);
    assert.equal(compareLsn(b, a), 1);
    assert.equal(compareLsn(a, parseLsn('0/ffffffff')), 0);
    const sorted = [parseLsn('A/0'), parseLsn('9/FFFFFFFF'), parseLsn('10/0')].sort(compareLsn);
    assert.deepEqual(sorted.map(formatLsn), ['9/FFFFFFFF', 'A/0', '10/0']);
    assert.equal(maxLsn(a, b), b);
    assert.equal(minLsn(a, b), a);
  });
});
