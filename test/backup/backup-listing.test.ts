import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incrementalSize, prettySize, serverBackups } from '../../src/backup/backup-listing.ts';
import { diskCatalog, writeBackup, writeWal } from '../retention/disk-catalog.ts';

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

describe('serverBackups', () => {
  it("gives each backup the WAL archived from its begin_wal up to the next backup's, in any index order", async () => {
    const { server, layout } = await diskCatalog([]);
    const day = (n: number) => new Date(Date.UTC(2026, 10, n, 12));
    await writeBackup(layout, '20261101T120000', {
      beginWal: '000000010000000000000002',
      endWal: '000000010000000000000002',
      end: day(1),
    });
    await writeBackup(layout, '20261102T120000', {
      beginWal: '000000010000000000000005',
      endWal: '000000010000000000000005',
      end: day(2),
    });
    // Two backups that begin in the same segment: the first's WAL runs to the next later begin.
    await writeBackup(layout, '20261102T130000', {
      beginWal: '000000010000000000000005',
      endWal: '000000010000000000000005',
      end: day(3),
    });
    // Out of order, a history file, and a segment of timeline 2 (compared without it).
    await writeWal(layout, [
      '000000010000000000000006',
      '000000010000000000000002',
      '00000002.history',
      '000000010000000000000001',
      '000000010000000000000004',
      '000000020000000000000007',
      '000000010000000000000003',
      '000000010000000000000005',
    ]);
    const { backups } = await serverBackups(server);
    assert.deepEqual(
      backups.map((b) => [b.info.backup_id, b.walFiles, b.walSize]),
      [
        ['20261101T120000', 3, 3000],
        ['20261102T120000', 3, 3000],
        ['20261102T130000', 3, 3000],
      ],
    );
  });
});
