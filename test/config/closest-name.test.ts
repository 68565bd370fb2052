import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestName, editDistance } from '../../src/config/closest-name.ts';

describe('closestName', () => {
  it('counts edits and transpositions', () => {
    assert.equal(editDistance('compression', 'compresion'), 1);
    assert.equal(editDistance('archvier', 'archiver'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('suggests a near key and nothing for a far one', () => {
    assert.equal(closestName('compresion', ['compression', 'conninfo']), 'compression');
    assert.equal(closestName('xyz', ['compression', 'conninfo']), undefined);
  });
});
