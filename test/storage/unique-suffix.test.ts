import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniqueSuffix } from '../../src/storage/unique-suffix.ts';

describe('uniqueSuffix', () => {
  it('is lowercase hex of the length asked for (8 by default)', () => {
    assert.match(uniqueSuffix(), /^[0-9a-f]{8}$/);
    assert.match(uniqueSuffix(16), /^[0-9a-f]{16}$/);
    assert.match(uniqueSuffix(3), /^[0-9a-f]{3}$/);
  });

  it('differs from call to call', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => uniqueSuffix(16)));
    assert.equal(seen.size, 1000);
  });
});
