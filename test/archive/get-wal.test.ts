import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getWal, readFoundWal, useWal } from '../../src/archive/get-wal.ts';
import { type ArchiveTarget, storeWalFile } from '../../src/archive/store-wal-file.ts';
import { compressBuffer } from '../../src/compression/compress-buffer.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import {
  Catalogs,
  historyFile,
  SEGMENT_SIZE,
  storedSegmentPath,
  type TestServer,
  useWalCluster,
} from './archive-fixtures.ts';

const source = useWalCluster('get-wal', { segments: 4, backupFile: true });
const catalogs = new Catalogs();
const compressions = ['none', 'gzip', 'zstd', 'lz4'] as const;
let stored: Promise<TestServer> | undefined;

/** A catalog that holds the four segments, each stored with another compression (made once). */
function archived(): Promise<TestServer> {
  stored ??= (async () => {
    const made = await catalogs.server();
    const target: ArchiveTarget = {
      server: made.server.name,
      layout: made.layout,
      compression: 'none',
      systemIdentifier: source.systemId,
    };
    for (const [index, segment] of source.segments.entries()) {
      await storeWalFile(segment, { ...target, compression: compressions[index]! });
    }
    await storeWalFile(historyFile(), target);
    await storeWalFile(source.backupFile, { ...target, compression: 'gzip' });
    return made;
  })();
  return stored;
}

async function streamingCatalog(): Promise<TestServer> {
  const made = await catalogs.server();
  await mkdir(made.layout.streaming, { recursive: true });
  return made;
}

async function notFound(promise: Promise<unknown>): Promise<string> {
  let why = '';
  await assert.rejects(promise, (error) => {
    assert.ok(isBarkeepError(error, 'walNotFound'), String(error));
    assert.equal(error.exitCode, 1);
    why = error.why;
    return true;
  });
  return why;
}

describe('getWal', () => {
  it('gives back every archived segment decompressed, whatever its stored compression', async () => {
    const archive = await archived();
    for (const [index, segment] of source.segments.entries()) {
      const wal = await getWal(archive.server, segment.name);
      assert.equal(wal.source, 'archive');
      assert.equal(wal.path, storedSegmentPath(archive.layout, segment.name));
      assert.ok(wal.data.equals(segment.data), `${segment.name} (${compressions[index]})`);
    }
  });

  it('gives back .history and .backup files from their places', async () => {
    const archive = await archived();
    const history = await getWal(archive.server, historyFile().name);
    assert.equal(history.path, join(archive.layout.wals, historyFile().name));
    assert.ok(history.data.equals(historyFile().data));
    const backup = await getWal(archive.server, source.backupFile.name);
    assert.ok(backup.data.equals(source.backupFile.data));
  });

  it('serves a completed segment from streaming/ that is not archived yet', async () => {
    const { server, layout } = await streamingCatalog();
    const segment = source.segments[1]!;
    await writeFile(join(layout.streaming, segment.name), segment.data);
    const wal = await getWal(server, segment.name);
    assert.equal(wal.source, 'streaming');
    assert.equal(wal.path, join(layout.streaming, segment.name));
    assert.ok(wal.data.equals(segment.data));
  });

  it('looks again when the file it found moves into wals/ before it is read', async () => {
    const { server, layout } = await streamingCatalog();
    const segment = source.segments[1]!;
    const streamed = join(layout.streaming, segment.name);
    await writeFile(streamed, segment.data);
    const seen: string[] = [];
    const wal = await useWal(server, segment.name, {}, async (found) => {
      seen.push(found.source);
      if (found.source === 'streaming') {
        // archive-wal stores it and removes it from streaming/ between find and read.
        await storeWalFile(segment, {
          server: server.name,
          layout,
          compression: 'gzip',
          systemIdentifier: source.systemId,
        });
        await rm(streamed);
      }
      return readFoundWal(found);
    });
    assert.deepEqual(seen, ['streaming', 'archive']);
    assert.deepEqual(wal.data, segment.data);
  });

  it('prefers the archived copy to the one in streaming/', async () => {
    const archive = await archived();
    const segment = source.segments[2]!;
    await mkdir(archive.layout.streaming, { recursive: true });
    const streamed = join(archive.layout.streaming, segment.name);
    await writeFile(streamed, Buffer.alloc(SEGMENT_SIZE));
    const wal = await getWal(archive.server, segment.name, { partial: true });
    assert.equal(wal.source, 'archive');
    assert.ok(wal.data.equals(segment.data));
  });

  it('serves streaming/<name>.partial only with partial, zero-padded to the segment size', async () => {
    const { server, layout } = await streamingCatalog();
    const segment = source.segments[3]!;
    const written = segment.data.subarray(0, 3 * 8192);
    const partialPath = join(layout.streaming, `${segment.name}.partial`);
    await writeFile(partialPath, written);
    const why = await notFound(getWal(server, segment.name));
    assert.doesNotMatch(why, /partial/);
    const wal = await getWal(server, segment.name, { partial: true });
    assert.equal(wal.source, 'partial');
    assert.equal(wal.name, segment.name);
    assert.equal(wal.path, partialPath);
    assert.equal(wal.data.length, SEGMENT_SIZE);
    assert.ok(wal.data.subarray(0, written.length).equals(written));
    assert.ok(
      wal.data.subarray(written.length).equals(Buffer.alloc(SEGMENT_SIZE - written.length)),
    );
  });

  it('serves a .partial as it is when it is full size or has no first-page header', async () => {
    const { server, layout } = await streamingCatalog();
    const [full, headless, tiny] = source.segments;
    await writeFile(join(layout.streaming, `${full!.name}.partial`), full!.data);
    // The second page of a segment: a short page header, no segment size to pad to.
    const secondPage = headless!.data.subarray(8192, 3 * 8192);
    await writeFile(join(layout.streaming, `${headless!.name}.partial`), secondPage);
    await writeFile(join(layout.streaming, `${tiny!.name}.partial`), tiny!.data.subarray(0, 10));
    assert.ok((await getWal(server, full!.name, { partial: true })).data.equals(full!.data));
    assert.ok((await getWal(server, headless!.name, { partial: true })).data.equals(secondPage));
    assert.equal((await getWal(server, tiny!.name, { partial: true })).data.length, 10);
  });

  it('answers walNotFound (exit 1) for a name the archive does not have', async () => {
    const archive = await archived();
    const why = await notFound(getWal(archive.server, '0000000100000000000000FF'));
    assert.match(why, new RegExp(`it is not in ${archive.layout.wals}$`));
    const withPartial = await notFound(
      getWal(archive.server, '0000000100000000000000FF', { partial: true }),
    );
    assert.match(withPartial, /nor as a streaming \.partial$/);
    await notFound(getWal(archive.server, '00000009.history'));
    await notFound(getWal(archive.server, `${source.segments[0]!.name}.00000028.backup`));
  });

  it('refuses names that are not WAL, .backup or .history file names', async () => {
    const archive = await archived();
    for (const name of ['not-a-wal', `${source.segments[0]!.name}.partial`, 'a'.repeat(24)]) {
      await assert.rejects(getWal(archive.server, name), (error) => {
        assert.ok(isBarkeepError(error, 'usage'), name);
        assert.equal(error.subject, name);
        return true;
      });
    }
  });

  it('reports a stored copy it cannot read or decode, rather than "not found"', async () => {
    const { server, layout } = await catalogs.server();
    const [unreadable, damaged] = source.segments;
    await mkdir(storedSegmentPath(layout, unreadable!.name), { recursive: true });
    await assert.rejects(getWal(server, unreadable!.name), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot read WAL file');
      return true;
    });
    const gzipped = await compressBuffer('gzip', damaged!.data);
    await writeFile(storedSegmentPath(layout, damaged!.name), gzipped.subarray(0, 2000));
    await assert.rejects(getWal(server, damaged!.name), (error) =>
      isBarkeepError(error, 'corruptArchive'),
    );
  });
});
