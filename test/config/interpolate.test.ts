import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InterpolationError, interpolate, type RawLookup } from '../../src/config/interpolate.ts';

function lookupOf(values: Record<string, string>): RawLookup {
  const lookup: RawLookup = (key) => (key in values ? { value: values[key]!, lookup } : undefined);
  return lookup;
}

describe('interpolate', () => {
  it('replaces %(key)s recursively and %% by %', () => {
    const lookup = lookupOf({ barman_home: '/srv/%(root)s', root: 'barman' });
    assert.equal(interpolate('%(barman_home)s/pg 100%%', lookup), '/srv/barman/pg 100%');
  });

  it('looks keys up case-insensitively', () => {
    assert.equal(interpolate('%(Name)s', lookupOf({ name: 'pg' })), 'pg');
  });

  it('leaves text without % alone', () => {
    assert.equal(interpolate('plain', lookupOf({})), 'plain');
  });

  it('rejects a lone %, a missing key and a loop', () => {
    assert.throws(() => interpolate('50% off', lookupOf({})), InterpolationError);
    assert.throws(() => interpolate('%(nope)s', lookupOf({})), /not set/);
    assert.throws(
      () => interpolate('%(a)s', lookupOf({ a: '%(b)s', b: '%(a)s' })),
      /more than 10 levels/,
    );
  });
});
