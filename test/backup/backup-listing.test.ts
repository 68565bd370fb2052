import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incrementalSize, prettySize } from '../../src/backup/backup-listing.ts';

describe('incrementalSize', () => {
  it('is the deduplicated size only when hard links saved space', () => {
    assert.equal(incrementalSize(1000, 250), 250);
    assert.equal(incrementalSize(1000, 1000), undefined);
    assert.equal(incrementalSize(1000, null), undefined);
    assert.equal(incrementalSize(null, 10), undefined);
    assert.equal(incrementalSize(undefined, undefined), undefined);
  });
});

describe('prettySize', () => {
  it('prints sizes as Barman does, in binary units', () => {
    assert.equal(prettySize(0), '0 B');
    assert.match(prettySize(3 * 1024 * 1024), /^3(\.0)? MiB$/);
  });
});
