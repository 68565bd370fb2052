import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { archiveTarget, storeAndIndex } from '../../src/archive/put-wal.ts';
import { rebuildXlogDb } from '../../src/archive/rebuild-xlog-db.ts';
import { lockPath } from '../../src/catalog/server-layout.ts';
import type { WalCompression } from '../../src/compression/compression-format.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { acquireLock } from '../../src/storage/process-lock.ts';
import {
  Catalogs,
  historyFile,
  storedSegmentPath,
  type TestServer,
  useWalCluster,
  type WalFile,
  xlogDbLines,
} from './archive-fixtures.ts';

const source = useWalCluster('rebuild-xlogdb', { segments: 4, backupFile: true });
const catalogs = new Catalogs();

/** A catalog archived through put-wal's path: four compressions, history, backup, partial. */
async function mixedCatalog(): Promise<TestServer> {
  const made = await catalogs.server([], { identity: source.systemId });
  const target = await archiveTarget(made.server, silentLogger);
  const compressions: WalCompression[] = ['none', 'gzip', 'zstd', 'lz4'];
  const last = source.segments[3]!;
  const offers: [WalFile, WalCompression][] = [
    ...source.segments.map((segment, index): [WalFile, WalCompression] => [
      segment,
      compressions[index]!,
    ]),
    [historyFile(), 'gzip'],
    [source.backupFile, 'zstd'],
    [{ name: `${last.name}.partial`, data: last.data.subarray(0, 8192 * 2) }, 'gzip'],
  ];
  for (const [index, [file, compression]] of offers.entries()) {
    // Whole seconds, a day apart: the index records the offered files' times.
    const mtimeMs = Date.parse('2025-01-01T00:00:00Z') + index * 86_400_000;
    await storeAndIndex({ ...file, mtimeMs }, { ...target, compression }, silentLogger);
  }
  return made;
}

describe('rebuildXlogDb', () => {
  it('writes the same index put-wal wrote, from the stored files of every compression', async () => {
    const { server, layout } = await mixedCatalog();
    const written = await xlogDbLines(layout);
    assert.equal(written.length, 7);
    await writeFile(layout.xlogDb, 'garbage\n');
    assert.equal(await rebuildXlogDb(server), 7);
    const rebuilt = await xlogDbLines(layout);
    assert.deepEqual([...rebuilt].sort(), [...written].sort());
    const compressions = Object.fromEntries(
      rebuilt.map((line) => line.split('\t')).map(([name, , , compression]) => [name, compression]),
    );
    const [plain, gzip, zstd, lz4] = source.segments.map((segment) => segment.name);
    assert.deepEqual(compressions, {
      [plain!]: 'None',
      [gzip!]: 'gzip',
      [zstd!]: 'zstd',
      [lz4!]: 'lz4',
      [`${lz4!}.partial`]: 'gzip',
      // .history and .backup files are stored plain whatever the compression.
      [historyFile().name]: 'None',
      [source.backupFile.name]: 'None',
    });
    const names = rebuilt.map((line) => line.split('\t')[0]!);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.localeCompare(b)),
    );
    const size = Number(
      rebuilt.find((line) => line.startsWith(`${source.segments[2]!.name}\t`))!.split('\t')[1],
    );
    assert.equal(size, (await stat(storedSegmentPath(layout, source.segments[2]!.name))).size);
  });

  it('leaves out temporary files, unknown names and files away from their place', async () => {
    const { server, layout } = await mixedCatalog();
    const before = await xlogDbLines(layout);
    const hashDir = join(layout.wals, source.segments[0]!.name.slice(0, 16));
    await writeFile(join(hashDir, `.${source.segments[0]!.name}.1234.abcd.tmp`), 'partial write');
    await writeFile(join(hashDir, 'README'), 'notes');
    await writeFile(join(hashDir, '00000003.history'), historyFile().data);
    await mkdir(join(layout.wals, 'not-a-hash-directory'));
    await writeFile(join(layout.wals, 'not-a-hash-directory', source.segments[0]!.name), 'x');
    await writeFile(join(layout.wals, '0000000100000000000000F0'), source.segments[0]!.data);
    await mkdir(join(layout.wals, '00000001000000FF'));
    await writeFile(join(layout.wals, '00000001000000FF', '0000000100000000000000F1'), 'x');
    assert.equal(await rebuildXlogDb(server), 7);
    assert.deepEqual((await xlogDbLines(layout)).sort(), before.sort());
  });

  it('writes an empty index for an empty archive', async () => {
    const { server, layout } = await catalogs.server();
    await mkdir(layout.wals, { recursive: true });
    await writeFile(layout.xlogDb, 'stale\n');
    assert.equal(await rebuildXlogDb(server), 0);
    assert.equal(await readFile(layout.xlogDb, 'utf8'), '');
  });

  it('waits for a writer holding the xlogdb lock', async () => {
    const { server, layout } = await mixedCatalog();
    const held = await acquireLock(lockPath(layout, 'xlogdb'), 'xlogdb');
    let done = false;
    const rebuilding = rebuildXlogDb(server).then((count) => {
      done = true;
      return count;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(done, false);
    await held.release();
    assert.equal(await rebuilding, 7);
  });
});
