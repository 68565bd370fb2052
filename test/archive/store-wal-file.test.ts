import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type ArchiveTarget,
  type StoreOutcome,
  storeWalFile,
} from '../../src/archive/store-wal-file.ts';
import { WalRejection } from '../../src/archive/wal-rejection.ts';
import { compressBuffer, decompressBuffer } from '../../src/compression/compress-buffer.ts';
import {
  detectCompression,
  type WalCompression,
} from '../../src/compression/compression-format.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import {
  Catalogs,
  historyFile,
  SEGMENT_SIZE,
  storedSegmentPath,
  useWalCluster,
} from './archive-fixtures.ts';

const source = useWalCluster('store-wal', { segments: 3, backupFile: true });
const catalogs = new Catalogs();

async function target(compression: WalCompression = 'none'): Promise<ArchiveTarget> {
  const { server, layout } = await catalogs.server();
  return { server: server.name, layout, compression, systemIdentifier: source.systemId };
}

async function rejection(promise: Promise<StoreOutcome>): Promise<WalRejection> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WalRejection, `a WalRejection, not ${String(error)}`);
    return error;
  }
  assert.fail('the file was stored');
}

async function walsContent(into: ArchiveTarget): Promise<string[]> {
  return (await readdir(into.layout.wals, { recursive: true }).catch(() => [])).map(String).sort();
}

describe('storeWalFile', () => {
  for (const compression of ['none', 'gzip', 'zstd', 'lz4'] as const) {
    it(`stores a segment under its plain name, ${compression}, indexed by its stored size`, async () => {
      const into = await target(compression);
      const [segment] = source.segments;
      const mtimeMs = Math.floor(Date.now() / 1000 - 3600) * 1000;
      const outcome = await storeWalFile({ ...segment!, mtimeMs }, into);
      assert.equal(outcome.kind, 'stored');
      assert.equal(outcome.path, storedSegmentPath(into.layout, segment!.name));
      // The stored file keeps the offered file's mtime, as Barman's copystat does.
      assert.equal((await stat(outcome.path)).mtimeMs, mtimeMs);
      const stored = await readFile(outcome.path);
      assert.equal(detectCompression(stored), compression);
      assert.ok((await decompressBuffer(stored)).equals(segment!.data));
      if (compression !== 'none') assert.ok(stored.length < SEGMENT_SIZE);
      assert.deepEqual(outcome.entry, {
        name: segment!.name,
        size: stored.length,
        time: mtimeMs / 1000,
        compression: compression === 'none' ? undefined : compression,
      });
      // Nothing but the file: the temporary name is gone.
      assert.deepEqual(await walsContent(into), [
        segment!.name.slice(0, 16),
        `${segment!.name.slice(0, 16)}/${segment!.name}`,
      ]);
    });
  }

  it('records the time of archiving when the offered file has no modification time', async () => {
    const into = await target();
    const before = Date.now() / 1000;
    const outcome = await storeWalFile(source.segments[0]!, into);
    assert.ok(outcome.entry.time >= before && outcome.entry.time <= Date.now() / 1000);
  });

  it('keeps .history and .backup files plain whatever the compression, history at the top', async () => {
    const into = await target('gzip');
    const history = historyFile();
    const backup = source.backupFile;
    const storedHistory = await storeWalFile(history, into);
    const storedBackup = await storeWalFile(backup, into);
    assert.equal(storedHistory.path, join(into.layout.wals, history.name));
    assert.equal(storedBackup.path, storedSegmentPath(into.layout, backup.name));
    assert.ok((await readFile(storedHistory.path)).equals(history.data));
    assert.ok((await readFile(storedBackup.path)).equals(backup.data));
    assert.equal(storedHistory.entry.compression, undefined);
    assert.equal(storedBackup.entry.compression, undefined);
    assert.equal(storedBackup.entry.size, backup.data.length);
  });

  it('compresses a .partial segment and stores it beside its kin', async () => {
    const into = await target('zstd');
    const segment = source.segments[1]!;
    const partial = { name: `${segment.name}.partial`, data: segment.data.subarray(0, 3 * 8192) };
    const outcome = await storeWalFile(partial, into);
    assert.equal(outcome.path, storedSegmentPath(into.layout, partial.name));
    const stored = await readFile(outcome.path);
    assert.equal(detectCompression(stored), 'zstd');
    assert.ok((await decompressBuffer(stored)).equals(partial.data));
    assert.equal(outcome.entry.compression, 'zstd');
  });

  it('accepts an identical re-offer without touching the stored file, reporting what is stored', async () => {
    const into = await target('gzip');
    const segment = source.segments[0]!;
    const first = await storeWalFile(segment, into);
    const before = await stat(first.path);
    // The compression setting changed since: the stored gzip file stays and is what is reported.
    const again = await storeWalFile(segment, { ...into, compression: 'lz4' });
    assert.equal(again.kind, 'identical');
    assert.equal(again.path, first.path);
    assert.equal(again.entry.compression, 'gzip');
    assert.equal(again.entry.size, before.size);
    const after = await stat(first.path);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);

    const plain = await target('none');
    await storeWalFile(segment, plain);
    const plainAgain = await storeWalFile(segment, { ...plain, compression: 'zstd' });
    assert.equal(plainAgain.kind, 'identical');
    assert.equal(plainAgain.entry.compression, undefined);
    assert.equal(plainAgain.entry.size, SEGMENT_SIZE);
  });

  it('refuses other content under an archived name as a duplicate and keeps the stored file', async () => {
    const into = await target('lz4');
    const segment = source.segments[0]!;
    const { path } = await storeWalFile(segment, into);
    const stored = await readFile(path);
    const altered = Buffer.from(segment.data);
    altered[altered.length - 1]! ^= 0xff;
    const error = await rejection(storeWalFile({ name: segment.name, data: altered }, into));
    assert.equal(error.kind, 'walDuplicate');
    assert.equal(error.suffix, 'duplicate');
    assert.equal(error.maybeIncomplete, false);
    assert.match(error.why, /a different file with this name is already archived at/);
    assert.ok((await readFile(path)).equals(stored));
  });

  it('refuses a name that is not a WAL file name as unknown, storing nothing', async () => {
    const into = await target();
    const error = await rejection(
      storeWalFile({ name: 'notes.txt', data: source.segments[0]!.data }, into),
    );
    assert.equal(error.kind, 'walInvalid');
    assert.equal(error.suffix, 'unknown');
    assert.deepEqual(await walsContent(into), []);
  });

  it("refuses another cluster's segment as an error, even when it is recent", async () => {
    const into = { ...(await target()), systemIdentifier: '6000000000000000001' };
    const segment = source.segments[0]!;
    const error = await rejection(storeWalFile({ ...segment, mtimeMs: Date.now() }, into));
    assert.equal(error.kind, 'systemIdMismatch');
    assert.equal(error.suffix, 'error');
    assert.equal(error.maybeIncomplete, false);
    assert.match(
      error.why,
      new RegExp(`system identifier ${source.systemId} is not this server's`),
    );
    assert.deepEqual(await walsContent(into), []);
  });

  it('refuses a segment offered under the name of another one', async () => {
    const into = await target();
    const [first, second] = source.segments;
    const error = await rejection(storeWalFile({ name: second!.name, data: first!.data }, into));
    assert.equal(error.kind, 'walInvalid');
    assert.equal(error.suffix, 'error');
    assert.match(error.why, /page address .* does not match the name/);
  });

  it('flags a truncated segment as maybe incomplete only while it is recent', async () => {
    const into = await target();
    const segment = source.segments[2]!;
    const half = { name: segment.name, data: segment.data.subarray(0, SEGMENT_SIZE / 2) };
    const recent = await rejection(storeWalFile({ ...half, mtimeMs: Date.now() - 1_000 }, into));
    assert.equal(recent.kind, 'walInvalid');
    assert.equal(recent.suffix, 'error');
    assert.equal(recent.maybeIncomplete, true);
    assert.match(recent.why, /differs from the segment size/);
    const old = await rejection(storeWalFile({ ...half, mtimeMs: Date.now() - 120_000 }, into));
    assert.equal(old.maybeIncomplete, false);
    const undated = await rejection(storeWalFile(half, into));
    assert.equal(undated.maybeIncomplete, false);
    // Wrong content at full size is not "still arriving", however recent.
    const zeros = { name: segment.name, data: Buffer.alloc(SEGMENT_SIZE), mtimeMs: Date.now() };
    assert.equal((await rejection(storeWalFile(zeros, into))).maybeIncomplete, false);
    assert.deepEqual(await walsContent(into), []);
  });

  it('refuses a compressed segment offered under its plain name', async () => {
    const into = await target();
    const segment = source.segments[0]!;
    const gzipped = await compressBuffer('gzip', segment.data);
    const error = await rejection(storeWalFile({ name: segment.name, data: gzipped }, into));
    assert.equal(error.kind, 'walInvalid');
    assert.match(error.why, /gzip-compressed/);
  });

  it('reports a damaged stored copy instead of comparing with it, and leaves it for repair', async () => {
    const into = await target();
    const segment = source.segments[0]!;
    const path = storedSegmentPath(into.layout, segment.name);
    await mkdir(join(path, '..'), { recursive: true });
    const damaged = (await compressBuffer('gzip', segment.data)).subarray(0, 1000);
    await writeFile(path, damaged);
    await assert.rejects(storeWalFile(segment, into), (error) =>
      isBarkeepError(error, 'corruptArchive'),
    );
    assert.ok((await readFile(path)).equals(damaged));
  });

  it('reports a stored name that cannot be read as an io error', async () => {
    const into = await target();
    const segment = source.segments[0]!;
    const path = storedSegmentPath(into.layout, segment.name);
    await mkdir(join(path, '..'), { recursive: true });
    await symlink(join(into.layout.wals, 'nowhere'), path);
    await assert.rejects(storeWalFile(segment, into), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'stored WAL file vanished while comparing');
      assert.equal(error.subject, path);
      return true;
    });
  });
});
