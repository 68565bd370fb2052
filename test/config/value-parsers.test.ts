import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  enumListParser,
  enumParser,
  integerParser,
  parseBoolean,
  parsePeriod,
  parseRetentionPolicy,
  parseSize,
  periodSeconds,
  ValueError,
} from '../../src/config/value-parsers.ts';

describe('value parsers', () => {
  it('parses configparser booleans in any case', () => {
    for (const word of ['1', 'yes', 'TRUE', 'On']) assert.equal(parseBoolean(word), true);
    for (const word of ['0', 'no', 'False', 'OFF']) assert.equal(parseBoolean(word), false);
    assert.throws(() => parseBoolean('maybe'), ValueError);
  });

  it('parses integers with a minimum', () => {
    assert.equal(integerParser(1)('4'), 4);
    assert.throws(() => integerParser(1)('0'), /below the minimum of 1/);
    assert.throws(() => integerParser()('4.5'), /not a whole number/);
  });

  it('parses enums with aliases and lists', () => {
    const compression = enumParser(['gzip', 'zstd'], { pigz: 'gzip' });
    assert.equal(compression('ZSTD'), 'zstd');
    assert.equal(compression('pigz'), 'gzip');
    assert.throws(() => compression('bzip3'), /not one of gzip, zstd/);
    assert.deepEqual(enumListParser(['get-wal', 'other'])(' get-wal , other '), [
      'get-wal',
      'other',
    ]);
  });

  it('parses retention policies', () => {
    assert.deepEqual(parseRetentionPolicy('REDUNDANCY 3'), { kind: 'redundancy', count: 3 });
    assert.deepEqual(parseRetentionPolicy('recovery window of 2 weeks'), {
      kind: 'recovery-window',
      count: 2,
      unit: 'weeks',
    });
    assert.deepEqual(parseRetentionPolicy('RECOVERY WINDOW OF 1 MONTH'), {
      kind: 'recovery-window',
      count: 1,
      unit: 'months',
    });
    assert.throws(() => parseRetentionPolicy('REDUNDANCY 0'), /at least 1/);
    assert.throws(() => parseRetentionPolicy('KEEP 3'), /not a retention policy/);
  });

  it('parses periods and converts them to seconds (a month is 31 days)', () => {
    const week = parsePeriod('1 WEEK');
    assert.deepEqual(week, { count: 1, unit: 'weeks' });
    assert.equal(periodSeconds(week), 7 * 86_400);
    assert.equal(periodSeconds(parsePeriod('2 months')), 62 * 86_400);
    assert.throws(() => parsePeriod('soon'), ValueError);
  });

  it('parses sizes with decimal and binary suffixes', () => {
    assert.equal(parseSize('512'), 512);
    assert.equal(parseSize('1 GB'), 1e9);
    assert.equal(parseSize('1 GiB'), 1024 ** 3);
    assert.equal(parseSize('100 Mi'), 100 * 1024 ** 2);
    assert.equal(parseSize('2k'), 2000);
    assert.throws(() => parseSize('lots'), ValueError);
  });
});
