import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compressionMagic,
  detectCompression,
  isWalCompression,
  magicProbeLength,
  xlogDbCompressionName,
} from '../../src/compression/compression-format.ts';
import { runTool } from './compression-fixtures.ts';

describe('detectCompression', () => {
  it('recognises every magic number Barman knows', () => {
    const cases: [string, number[]][] = [
      ['gzip', [0x1f, 0x8b, 0x08, 0x00]],
      ['bzip2', [0x42, 0x5a, 0x68, 0x39]],
      ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00]],
      ['zstd', [0x28, 0xb5, 0x2f, 0xfd, 0x24]],
      ['lz4', [0x04, 0x22, 0x4d, 0x18, 0x60]],
      ['snappy', [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x00]],
    ];
    for (const [format, bytes] of cases) {
      assert.equal(detectCompression(Buffer.from(bytes)), format, format);
    }
  });

  it('calls plain WAL, history and backup-label content uncompressed', () => {
    // Page headers of PostgreSQL 15 (0xD110) and 17 (0xD116), little-endian, then info bits.
    assert.equal(detectCompression(Buffer.from([0x10, 0xd1, 0x07, 0x00])), 'none');
    assert.equal(detectCompression(Buffer.from([0x16, 0xd1, 0x06, 0x00])), 'none');
    assert.equal(detectCompression(Buffer.from('1\t0/3000000\tno recovery target\n')), 'none');
    assert.equal(detectCompression(Buffer.from('START WAL LOCATION: 0/2000028')), 'none');
    assert.equal(detectCompression(Buffer.alloc(0)), 'none');
  });

  it('needs the whole magic: a prefix of one is not that format', () => {
    assert.equal(detectCompression(Buffer.from([0x1f, 0x8b])), 'none');
    assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f])), 'none');
    assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a])), 'none');
  });

  it('probes no more bytes than magicProbeLength', () => {
    const longest = Math.max(...Object.values(compressionMagic).map((magic) => magic.length));
    assert.equal(magicProbeLength, longest);
  });

  it('agrees with the command-line tools on their own output', (t) => {
    const input = Buffer.from('barkeep '.repeat(100));
    const tools: [string, string[], string][] = [
      ['gzip', ['-c'], 'gzip'],
      ['bzip2', ['-c'], 'bzip2'],
      ['xz', ['-c'], 'xz'],
      ['zstd', ['-q', '-c'], 'zstd'],
      ['lz4', ['-q', '-c'], 'lz4'],
    ];
    let ran = 0;
    for (const [command, args, format] of tools) {
      const output = runTool(command, args, input);
      if (output === undefined) continue;
      assert.equal(detectCompression(output), format, command);
      ran++;
    }
    if (ran === 0) t.skip('none of gzip, bzip2, xz, zstd, lz4 is installed');
  });
});

describe('compression names', () => {
  it('knows which formats barkeep writes', () => {
    assert.ok(isWalCompression('zstd'));
    assert.ok(isWalCompression('none'));
    assert.ok(!isWalCompression('bzip2'));
    assert.ok(!isWalCompression('pigz'));
  });

  it('writes None for uncompressed files in xlog.db, like Barman', () => {
    assert.equal(xlogDbCompressionName('none'), 'None');
    assert.equal(xlogDbCompressionName('gzip'), 'gzip');
    assert.equal(xlogDbCompressionName('lz4'), 'lz4');
  });
});
