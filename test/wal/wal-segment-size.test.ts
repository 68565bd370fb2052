import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WalFormatError } from '../../src/wal/wal-format-error.ts';
import {
  allWalSegmentSizes,
  DEFAULT_WAL_SEGMENT_SIZE,
  describeWalSegmentSize,
  isValidWalSegmentSize,
  MAX_WAL_SEGMENT_SIZE,
  MIN_WAL_SEGMENT_SIZE,
  toWalSegmentSize,
} from '../../src/wal/wal-segment-size.ts';

const MIB = 1024 * 1024;

describe('WAL segment sizes', () => {
  it('are the powers of two from 1 MiB to 1 GiB', () => {
    assert.deepEqual(
      allWalSegmentSizes().map((size) => size / MIB),
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    );
    assert.equal(MIN_WAL_SEGMENT_SIZE, MIB);
    assert.equal(MAX_WAL_SEGMENT_SIZE, 1024 * MIB);
    assert.equal(DEFAULT_WAL_SEGMENT_SIZE, 16 * MIB);
    for (const size of allWalSegmentSizes()) assert.equal(toWalSegmentSize(size), size);
  });

  for (const bad of [
    0,
    -16 * MIB,
    MIB / 2,
    2048 * MIB,
    16 * MIB + 1,
    3 * MIB,
    1.5 * MIB,
    Number.NaN,
  ]) {
    it(`refuse ${bad}`, () => {
      assert.equal(isValidWalSegmentSize(bad), false);
      assert.throws(
        () => toWalSegmentSize(bad),
        (error: unknown) =>
          error instanceof WalFormatError &&
          error.reason === `segment size ${bad} is not a power of two between 1 MiB and 1 GiB`,
      );
    });
  }

  it('are described for messages in MiB or GiB', () => {
    assert.equal(describeWalSegmentSize(toWalSegmentSize(MIB)), '1 MiB');
    assert.equal(describeWalSegmentSize(toWalSegmentSize(16 * MIB)), '16 MiB');
    assert.equal(describeWalSegmentSize(toWalSegmentSize(512 * MIB)), '512 MiB');
    assert.equal(describeWalSegmentSize(toWalSegmentSize(1024 * MIB)), '1 GiB');
  });
});
