import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { peekWal } from '../../src/archive/peek-wal.ts';
import { type ArchiveTarget, storeWalFile } from '../../src/archive/store-wal-file.ts';
import type { WalCompression } from '../../src/compression/compression-format.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import {
  Catalogs,
  historyFile,
  storedSegmentPath,
  type TestServer,
  useWalCluster,
} from './archive-fixtures.ts';

const source = useWalCluster('peek-wal', { segments: 5 });
const catalogs = new Catalogs();

/** A catalog holding the given segments of the fixture (by index), stored with `compression`. */
async function catalogWith(indexes: number[], compression: WalCompression): Promise<TestServer> {
  const made = await catalogs.server();
  const target: ArchiveTarget = {
    server: made.server.name,
    layout: made.layout,
    compression,
    systemIdentifier: source.systemId,
  };
  for (const index of indexes) await storeWalFile(source.segments[index]!, target);
  return made;
}

const names = (...indexes: number[]) => indexes.map((index) => source.segments[index]!.name);

describe('peekWal', () => {
  it('lists the stored segments from the one asked, in order, up to the count', async () => {
    const { server } = await catalogWith([0, 1, 2, 3, 4], 'zstd');
    assert.deepEqual(await peekWal(server, names(0)[0]!, 10), names(0, 1, 2, 3, 4));
    assert.deepEqual(await peekWal(server, names(1)[0]!, 3), names(1, 2, 3));
    assert.deepEqual(await peekWal(server, names(4)[0]!, 1), names(4));
  });

  it('stops at the first segment missing from the archive', async () => {
    const { server } = await catalogWith([0, 1, 3, 4], 'none');
    assert.deepEqual(await peekWal(server, names(0)[0]!, 10), names(0, 1));
    assert.deepEqual(await peekWal(server, names(3)[0]!, 10), names(3, 4));
    assert.deepEqual(await peekWal(server, names(2)[0]!, 10), []);
  });

  it('answers a history file with itself, when it is archived', async () => {
    const { server, layout } = await catalogWith([], 'gzip');
    const history = historyFile();
    assert.deepEqual(await peekWal(server, history.name, 5), []);
    await mkdir(layout.wals, { recursive: true });
    await writeFile(join(layout.wals, history.name), history.data);
    assert.deepEqual(await peekWal(server, history.name, 5), [history.name]);
  });

  it('answers a stored segment whose first page has no long header with itself', async () => {
    const { server, layout } = await catalogWith([1], 'none');
    const path = storedSegmentPath(layout, names(0)[0]!);
    await writeFile(path, source.segments[0]!.data.subarray(8192, 2 * 8192));
    assert.deepEqual(await peekWal(server, names(0)[0]!, 5), names(0));
  });

  it('refuses names other than segments and history files, and counts below 1', async () => {
    const { server } = await catalogWith([0], 'none');
    const segment = names(0)[0]!;
    for (const name of ['nonsense', `${segment}.partial`, `${segment}.00000028.backup`]) {
      await assert.rejects(peekWal(server, name, 2), (error) => {
        assert.ok(isBarkeepError(error, 'usage'));
        assert.equal(error.subject, name);
        return true;
      });
    }
    for (const count of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(peekWal(server, segment, count), (error) => {
        assert.ok(isBarkeepError(error, 'usage'));
        assert.match(error.why, /at least 1/);
        return true;
      });
    }
  });

  it('reports a first file it cannot read as an io error', async () => {
    const { server, layout } = await catalogWith([], 'none');
    await mkdir(storedSegmentPath(layout, names(0)[0]!), { recursive: true });
    await assert.rejects(peekWal(server, names(0)[0]!, 3), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot read WAL file');
      return true;
    });
  });
});
