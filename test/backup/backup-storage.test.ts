import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverCompressionDetail } from '../../src/backup/backup-storage.ts';

describe('serverCompressionDetail', () => {
  const zstd = { kind: 'compressed', format: 'zstd', onServer: true } as const;

  it('asks the server for zstd worker threads only when there is more than one', () => {
    assert.equal(serverCompressionDetail(zstd, 1), 'level=1');
    assert.equal(serverCompressionDetail({ ...zstd, level: 3 }, 2), 'level=3,workers=2');
  });

  it('gives gzip and lz4 their levels and no workers', () => {
    assert.equal(
      serverCompressionDetail({ kind: 'compressed', format: 'gzip', onServer: true }, 4),
      'level=6',
    );
    assert.equal(
      serverCompressionDetail({ kind: 'compressed', format: 'lz4', onServer: true, level: 2 }, 4),
      'level=2',
    );
  });

  it('says nothing for plain backups and client-side compression', () => {
    assert.equal(serverCompressionDetail({ kind: 'plain' }, 2), undefined);
    assert.equal(serverCompressionDetail({ ...zstd, onServer: false }, 2), undefined);
  });
});
