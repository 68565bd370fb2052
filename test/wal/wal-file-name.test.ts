import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWalFileName, walFileCatalogDirectory } from '../../src/wal/wal-file-name.ts';

describe('parseWalFileName', () => {
  it('recognises a plain segment', () => {
    assert.deepEqual(parseWalFileName('000000010000000000000001'), {
      kind: 'segment',
      name: '000000010000000000000001',
      segment: '000000010000000000000001',
      timeline: 1,
    });
    assert.equal(parseWalFileName('FFFFFFFFFFFFFFFF000000FF')?.timeline, 0xffffffff);
  });

  it('recognises a .partial segment', () => {
    assert.deepEqual(parseWalFileName('0000000200000000000000A3.partial'), {
      kind: 'partial',
      name: '0000000200000000000000A3.partial',
      segment: '0000000200000000000000A3',
      timeline: 2,
    });
  });

  it('recognises a backup history file and its offset', () => {
    assert.deepEqual(parseWalFileName('000000010000000000000002.00000028.backup'), {
      kind: 'backup',
      name: '000000010000000000000002.00000028.backup',
      segment: '000000010000000000000002',
      timeline: 1,
      offset: 0x28,
    });
    assert.equal(parseWalFileName('0000000A0000000500000003.3FFFFFF8.backup')?.kind, 'backup');
  });

  it('recognises a timeline history file', () => {
    assert.deepEqual(parseWalFileName('0000000A.history'), {
      kind: 'history',
      name: '0000000A.history',
      timeline: 10,
    });
    assert.equal(parseWalFileName('FFFFFFFF.history')?.timeline, 0xffffffff);
  });

  const unknown = [
    '',
    '000000010000000000000001.gz',
    '000000010000000000000001.bz2',
    '000000010000000000000001.zst',
    '000000010000000000000001.lz4',
    '000000010000000000000001.partial.gz',
    '00000001.history.gz',
    '000000010000000000000002.00000028.backup.gz',
    '00000001000000000000000a',
    '000000010000000000000001.PARTIAL',
    '0000000a.history',
    '000000010000000000000002.0000002a.backup',
    '000000010000000000000002.28.backup',
    '000000010000000000000002.backup',
    '00000001000000000000001',
    '0000000100000000000000011',
    '000000000000000000000001',
    '000000000000000000000001.partial',
    '000000000000000000000001.00000028.backup',
    '00000000.history',
    '1.history',
    '000000001.history',
    '/pg_wal/000000010000000000000001',
    'pg_wal/000000010000000000000001',
    '000000010000000000000001 ',
    '000000010000000000000001\n',
    '.000000010000000000000001',
    '000000010000000000000001.tmp',
    'archive_status',
    'xlog.db',
  ];
  for (const name of unknown) {
    it(`does not know ${JSON.stringify(name)}`, () => {
      assert.equal(parseWalFileName(name), undefined);
    });
  }
});

describe('walFileCatalogDirectory', () => {
  it('puts segment-based files under their timeline+log and history files at the top', () => {
    const directory = (name: string) => walFileCatalogDirectory(parseWalFileName(name)!);
    assert.equal(directory('0000000100000016000000B3'), '0000000100000016');
    assert.equal(directory('0000000100000016000000B3.partial'), '0000000100000016');
    assert.equal(directory('000000020000000A00000002.00000028.backup'), '000000020000000A');
    assert.equal(directory('00000002.history'), '');
  });
});
