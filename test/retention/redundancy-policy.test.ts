import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redundancyReport } from '../../src/retention/redundancy-policy.ts';
import { backup, statuses } from './catalog-fixtures.ts';

describe('REDUNDANCY n', () => {
  it('reports nothing for an empty catalog', () => {
    assert.equal(redundancyReport([], 2, 0).size, 0);
  });

  it('keeps a single backup', () => {
    const catalog = [backup(1)];
    assert.deepEqual(statuses(catalog, redundancyReport(catalog, 1, 0)), ['VALID']);
  });

  it('keeps the newest n DONE backups and makes the older ones OBSOLETE', () => {
    const catalog = [backup(4), backup(3), backup(2), backup(1)];
    assert.deepEqual(statuses(catalog, redundancyReport(catalog, 2, 0)), [
      'OBSOLETE',
      'OBSOLETE',
      'VALID',
      'VALID',
    ]);
  });

  it('raises n to minimum_redundancy', () => {
    const catalog = [backup(4), backup(3), backup(2), backup(1)];
    assert.deepEqual(statuses(catalog, redundancyReport(catalog, 1, 3)), [
      'OBSOLETE',
      'VALID',
      'VALID',
      'VALID',
    ]);
  });

  it('leaves backups that are not DONE alone and does not count them', () => {
    const catalog = [
      backup(5),
      backup(4, { status: 'FAILED' }),
      backup(3),
      backup(2, { status: 'WAITING_FOR_WALS' }),
      backup(1, { status: 'STARTED' }),
    ];
    assert.deepEqual(statuses(catalog, redundancyReport(catalog, 2, 0)), [
      'VALID',
      '-',
      'VALID',
      '-',
      '-',
    ]);
  });

  it('reports kept backups as KEEP and, as Barman, counts them among the n', () => {
    const catalog = [
      backup(4, { keep: 'standalone' }),
      backup(3),
      backup(2),
      backup(1, { keep: 'full' }),
    ];
    assert.deepEqual(statuses(catalog, redundancyReport(catalog, 2, 0)), [
      'KEEP:STANDALONE',
      'OBSOLETE',
      'VALID',
      'KEEP:FULL',
    ]);
  });

  it('never makes a kept backup OBSOLETE, however old', () => {
    const catalog = [backup(400, { keep: 'full' }), backup(2), backup(1)];
    assert.deepEqual(statuses(catalog, redundancyReport(catalog, 1, 0)), [
      'KEEP:FULL',
      'OBSOLETE',
      'VALID',
    ]);
  });
});
