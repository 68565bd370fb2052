import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { archiveTarget } from '../../src/archive/put-wal.ts';
import { streamWalFile } from '../../src/archive/stream-wal-file.ts';
import { decompressBuffer } from '../../src/compression/compress-buffer.ts';
import {
  detectCompression,
  type WalCompression,
} from '../../src/compression/compression-format.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import {
  Catalogs,
  historyFile,
  storedSegmentPath,
  useWalCluster,
  type WalFile,
} from './archive-fixtures.ts';

const source = useWalCluster('stream-wal', { segments: 2 });
const catalogs = new Catalogs();

async function offered(file: WalFile, data: Buffer = file.data): Promise<string> {
  const dir = await mkdtemp(join(catalogs.dir, 'pg_wal-'));
  const path = join(dir, file.name);
  await writeFile(path, data);
  const when = new Date('2025-03-04T05:06:07.500Z');
  await utimes(path, when, when);
  return path;
}

async function target(lines: string[], identity = source.systemId) {
  const { server, layout } = await catalogs.server(lines, { identity });
  return { layout, target: await archiveTarget(server, silentLogger) };
}

describe('streamWalFile', () => {
  for (const compression of ['none', 'zstd', 'lz4', 'gzip'] as WalCompression[]) {
    it(`streams a segment into the catalog as ${compression}, byte-identical once read back`, async () => {
      const { layout, target: into } = await target([`compression = ${compression}`]);
      const segment = source.segments[0]!;
      const outcome = await streamWalFile(await offered(segment), segment.name, into);
      assert.equal(outcome?.kind, 'stored');
      const path = storedSegmentPath(layout, segment.name);
      const stored = await readFile(path);
      assert.equal(detectCompression(stored), compression);
      assert.ok((await decompressBuffer(stored)).equals(segment.data));
      assert.equal(outcome!.entry.size, stored.length);
      assert.equal(outcome!.entry.time, Date.parse('2025-03-04T05:06:07.500Z') / 1000);
      assert.equal(outcome!.entry.compression, compression === 'none' ? undefined : compression);
      assert.equal((await stat(path)).mtimeMs, Date.parse('2025-03-04T05:06:07.500Z'));
      assert.deepEqual(
        (await readdir(dirname(path))).filter((name) => name.startsWith('.')),
        [],
        'no temporary file is left',
      );
    });
  }

  it('leaves to the whole-file path what it must decide, storing nothing', async () => {
    const { layout, target: into } = await target(['compression = zstd']);
    const [first, second] = source.segments;
    // Another cluster's segment: refused by the careful path, with its errors/ copy.
    const { target: foreign } = await target([], '1234567890123456789');
    assert.equal(await streamWalFile(await offered(first!), first!.name, foreign), undefined);
    // A truncated segment.
    const short = first!.data.subarray(0, 8192 * 2);
    assert.equal(await streamWalFile(await offered(first!, short), first!.name, into), undefined);
    // A history file is small: the whole-file path stores it.
    const history = historyFile();
    assert.equal(await streamWalFile(await offered(history), history.name, into), undefined);
    // A name already stored (identical or duplicate).
    assert.equal((await streamWalFile(await offered(second!), second!.name, into))?.kind, 'stored');
    assert.equal(await streamWalFile(await offered(second!), second!.name, into), undefined);
    assert.deepEqual(await readdir(join(layout.wals, second!.name.slice(0, 16))), [second!.name]);
  });
});
