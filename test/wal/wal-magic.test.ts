import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatWalMagic, walMagicForMajor, walMagicMajor } from '../../src/wal/wal-magic.ts';

describe('walMagicMajor', () => {
  const known: Array<[number, number]> = [
    [0xd07e, 9.4],
    [0xd087, 9.5],
    [0xd093, 9.6],
    [0xd097, 10],
    [0xd098, 11],
    [0xd101, 12],
    [0xd106, 13],
    [0xd10d, 14],
    [0xd110, 15],
    [0xd113, 16],
    [0xd116, 17],
    [0xd118, 18],
  ];
  for (const [magic, major] of known) {
    it(`maps ${formatWalMagic(magic)} to ${major} and back`, () => {
      assert.equal(walMagicMajor(magic), major);
      assert.equal(walMagicForMajor(major), magic);
    });
  }

  it('knows nothing else', () => {
    for (const magic of [0, 0x1f8b, 0x8b1f, 0xfd2f, 0xd114, 0xd117, 0xd075, 0xffff]) {
      assert.equal(walMagicMajor(magic), undefined, formatWalMagic(magic));
    }
    assert.equal(walMagicForMajor(9.3), undefined);
    assert.equal(walMagicForMajor(19), undefined);
  });

  it('formats magics as 4 lowercase hex digits', () => {
    assert.equal(formatWalMagic(0x1f8b), '0x1f8b');
    assert.equal(formatWalMagic(0xd10d), '0xd10d');
    assert.equal(formatWalMagic(0x0102), '0x0102');
  });
});
