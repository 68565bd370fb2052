import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseBackupStorage, serverCompressionDetail } from '../../src/backup/backup-storage.ts';
import type { Settings } from '../../src/config/settings.ts';

describe('serverCompressionDetail', () => {
  const zstd = { kind: 'compressed', format: 'zstd', onServer: true, workers: 1 } as const;

  it('asks the server for zstd worker threads only when there is more than one', () => {
    assert.equal(serverCompressionDetail(zstd), 'level=1');
    assert.equal(serverCompressionDetail({ ...zstd, level: 3, workers: 2 }), 'level=3,workers=2');
  });

  it('gives gzip and lz4 their levels and no workers', () => {
    assert.equal(
      serverCompressionDetail({ kind: 'compressed', format: 'gzip', onServer: true, workers: 4 }),
      'level=6',
    );
    assert.equal(
      serverCompressionDetail({ ...zstd, format: 'lz4', level: 2, workers: 4 }),
      'level=2',
    );
  });

  it('says nothing for plain backups and client-side compression', () => {
    assert.equal(serverCompressionDetail({ kind: 'plain' }), undefined);
    assert.equal(serverCompressionDetail({ ...zstd, onServer: false }), undefined);
  });
});

describe('chooseBackupStorage', () => {
  const settings = (lines: Partial<Settings>) => ({ ...lines }) as Settings;

  it('takes the zstd threads from backup_compression_workers, else from the jobs', () => {
    const zstd = { backup_compression: 'zstd', backup_compression_workers: 0 } as const;
    assert.deepEqual(chooseBackupStorage(settings(zstd), 150000, 2), {
      kind: 'compressed',
      format: 'zstd',
      onServer: false,
      workers: 2,
    });
    const three = chooseBackupStorage(
      settings({ ...zstd, backup_compression_workers: 3 }),
      150000,
      1,
    );
    assert.equal(three.kind === 'compressed' && three.workers, 3);
  });

  it('compresses on the server only when asked and PostgreSQL 15+ can', () => {
    const server = settings({ backup_compression: 'gzip', backup_compression_location: 'server' });
    const on15 = chooseBackupStorage(server, 150000, 1);
    const on14 = chooseBackupStorage(server, 140000, 1);
    assert.equal(on15.kind === 'compressed' && on15.onServer, true);
    assert.equal(on14.kind === 'compressed' && on14.onServer, false);
    assert.deepEqual(chooseBackupStorage(settings({}), 150000, 1), { kind: 'plain' });
  });
});
