// Byte compatibility with the tools Barman uses: the gzip, zstd and lz4 CLIs and Python's
// gzip, zstandard and lz4.frame called the way barman/compression.py calls them. Each case
// skips when its tool is missing (Debian: gzip zstd lz4 python3-zstandard python3-lz4).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { compressBuffer, decompressBuffer } from '../../src/compression/compress-buffer.ts';
import type { WalCompression } from '../../src/compression/compression-format.ts';
import {
  barmanCodecScript,
  hasTool,
  pythonWithBarmanCodecs,
  runTool,
  walLikeData,
} from './compression-fixtures.ts';

const segment = walLikeData(6 * 1024 * 1024, 3);
const small = walLikeData(200 * 1024, 5);
const python = pythonWithBarmanCodecs();
const noPython = python === undefined ? 'python3 with zstandard and lz4 is not installed' : false;

function barmanCodec(
  mode: 'compress' | 'decompress',
  format: string,
  input: Buffer,
  level?: number,
) {
  const args = [
    '-c',
    barmanCodecScript,
    mode,
    format,
    ...(level === undefined ? [] : [String(level)]),
  ];
  const result = spawnSync(python!, args, { input, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, String(result.stderr));
  return result.stdout;
}

describe('what Barman writes, barkeep reads', () => {
  it('reads Python-written zstd, lz4 and gzip at Barman levels low, medium, high', {
    skip: noPython,
  }, async () => {
    const levels: [string, number[]][] = [
      ['zstd', [1, 4, 9]],
      ['lz4', [0, 6, 10]],
      ['gzip', [1, 6, 9]],
    ];
    for (const [format, formatLevels] of levels) {
      for (const level of formatLevels) {
        const stored = barmanCodec('compress', format, segment, level);
        assert.ok((await decompressBuffer(stored)).equals(segment), `${format} ${level}`);
      }
    }
  });

  const cliCases: [string, string[], string][] = [
    ['gzip', ['-c', '-6'], 'gzip -6'],
    ['zstd', ['-q', '-c'], 'zstd from a pipe: no content size'],
    ['zstd', ['-q', '-c', '--no-check', '-19'], 'zstd without checksum'],
    ['lz4', ['-q', '-c'], 'lz4 defaults: 4 MiB blocks, content checksum'],
    ['lz4', ['-q', '-c', '-BD', '-B4', '--no-frame-crc'], 'lz4 linked 64 KiB blocks, as Python'],
    ['lz4', ['-q', '-c', '-B5', '-BX', '--content-size'], 'lz4 block checksums and content size'],
    ['lz4', ['-q', '-c', '-9', '-BD'], 'lz4 HC, linked blocks'],
  ];
  for (const [command, args, label] of cliCases) {
    it(`reads ${label}`, {
      skip: hasTool(command) ? false : `${command} is not installed`,
    }, async () => {
      const stored = runTool(command, args, segment)!;
      assert.ok((await decompressBuffer(stored)).equals(segment));
    });
  }

  it('reads concatenated gzip members, zstd frames and lz4 frames', async (t) => {
    let ran = 0;
    for (const command of ['gzip', 'zstd', 'lz4']) {
      const first = runTool(command, ['-c', '-q'], small.subarray(0, 1000));
      const second = runTool(command, ['-c', '-q'], small.subarray(1000));
      if (first === undefined || second === undefined) continue;
      const joined = Buffer.concat([first, second]);
      assert.ok((await decompressBuffer(joined)).equals(small), command);
      ran++;
    }
    if (ran === 0) t.skip('gzip, zstd and lz4 are not installed');
  });

  it('skips LZ4 skippable frames between and after frames', async () => {
    const skippable = Buffer.from([0x5f, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const first = await compressBuffer('lz4', small.subarray(0, 5000));
    const second = await compressBuffer('lz4', small.subarray(5000));
    const joined = Buffer.concat([first, skippable, second, skippable]);
    assert.ok((await decompressBuffer(joined)).equals(small));
  });
});

describe('what barkeep writes, Barman reads', () => {
  const formats: Exclude<WalCompression, 'none'>[] = ['gzip', 'zstd', 'lz4'];

  it('is read by Python the way Barman reads it', { skip: noPython }, async () => {
    for (const format of formats) {
      const stored = await compressBuffer(format, segment);
      assert.ok(barmanCodec('decompress', format, stored).equals(segment), format);
    }
  });

  it('is read by the command-line tools, checksums verified', async (t) => {
    let ran = 0;
    for (const format of formats) {
      const output = runTool(format, ['-d', '-c', '-q'], await compressBuffer(format, segment));
      if (output === undefined) continue;
      assert.ok(output.equals(segment), format);
      ran++;
    }
    if (ran === 0) t.skip('gzip, zstd and lz4 are not installed');
  });

  it('gzip output is also read by Python gzip (pygzip)', {
    skip: hasTool('python3') ? false : 'no python3',
  }, async () => {
    const stored = await compressBuffer('gzip', small);
    const script =
      'import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))';
    const result = spawnSync('python3', ['-c', script], { input: stored });
    assert.equal(result.status, 0, String(result.stderr));
    assert.ok(result.stdout.equals(small));
  });
});
