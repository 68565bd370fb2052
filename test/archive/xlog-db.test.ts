import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import {
  acquireXlogDbLock,
  appendXlogDb,
  formatXlogDbLine,
  parseXlogDbLine,
  readSegmentSizes,
  readXlogDb,
  type XlogDbEntry,
  xlogDbTailHas,
} from '../../src/archive/xlog-db.ts';
import { lockPath, type ServerLayout, serverLayout } from '../../src/catalog/server-layout.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { acquireLock } from '../../src/storage/process-lock.ts';
import { Catalogs } from './archive-fixtures.ts';

const catalogs = new Catalogs();
let count = 0;

/** A fresh catalog whose wals/ exists (as archiveTarget leaves it). */
async function layout(): Promise<ServerLayout> {
  const fresh = serverLayout(`xlog${++count}`, { barman_home: catalogs.home });
  await mkdir(fresh.wals, { recursive: true });
  return fresh;
}

function entry(n: number, compression?: string): XlogDbEntry {
  return {
    name: `0000000100000000000000${n.toString(16).toUpperCase().padStart(2, '0')}`,
    size: 1000 + n,
    time: 1718000000.25 + n,
    compression,
  };
}

describe('xlog.db lines', () => {
  it("formats Barman's line: name, stored size, time, compression or None, tab-separated", () => {
    assert.equal(
      formatXlogDbLine(entry(1, 'gzip')),
      '000000010000000000000001\t1001\t1718000001.25\tgzip\n',
    );
    assert.equal(
      formatXlogDbLine(entry(2)),
      '000000010000000000000002\t1002\t1718000002.25\tNone\n',
    );
  });

  it('parses what it formats, and the 3-, 4- and 5-field lines of every Barman version', () => {
    for (const written of [entry(1, 'zstd'), entry(2)]) {
      assert.deepEqual(parseXlogDbLine(formatXlogDbLine(written)), written);
    }
    assert.deepEqual(parseXlogDbLine('00000002.history 42 1718000000'), {
      name: '00000002.history',
      size: 42,
      time: 1718000000,
      compression: undefined,
    });
    assert.deepEqual(
      parseXlogDbLine('000000010000000000000003\t512\t1718000000.1234567\tlz4\tNone\n'),
      { name: '000000010000000000000003', size: 512, time: 1718000000.1234567, compression: 'lz4' },
    );
    // Any whitespace separates fields, as Python's split() does.
    assert.equal(parseXlogDbLine('  000000010000000000000003  512 \t 17.5   gzip ')?.size, 512);
  });

  it('rejects blank and malformed lines', () => {
    for (const line of [
      '',
      '   ',
      '000000010000000000000001\t512',
      '000000010000000000000001\t512\t1\tgzip\tNone\textra',
      '000000010000000000000001\t-5\t1\tgzip',
      '000000010000000000000001\t5.5\t1\tgzip',
      '000000010000000000000001\t512\tnoon\tgzip',
    ]) {
      assert.equal(parseXlogDbLine(line), undefined, JSON.stringify(line));
    }
  });
});

describe('appendXlogDb and its readers', () => {
  it('creates nothing for no entries', async () => {
    const at = await layout();
    await appendXlogDb(at, []);
    await assert.rejects(stat(at.xlogDb), { code: 'ENOENT' });
  });

  it('appends whole lines after what is there, mode 0600', async () => {
    const at = await layout();
    await writeFile(at.xlogDb, formatXlogDbLine(entry(1)));
    await appendXlogDb(at, [entry(2, 'gzip'), entry(3, 'lz4')]);
    await appendXlogDb(at, [entry(4)]);
    assert.equal(
      await readFile(at.xlogDb, 'utf8'),
      [entry(1), entry(2, 'gzip'), entry(3, 'lz4'), entry(4)].map(formatXlogDbLine).join(''),
    );
    const fresh = await layout();
    await appendXlogDb(fresh, [entry(1)]);
    assert.equal((await stat(fresh.xlogDb)).mode & 0o777, 0o600);
  });

  it('lets concurrent writers wait for each other instead of failing', async () => {
    const at = await layout();
    const writers = Array.from({ length: 12 }, (_, n) => appendXlogDb(at, [entry(n + 1)]));
    await Promise.all(writers);
    const entries = await readXlogDb(at);
    assert.deepEqual(
      entries.map((line) => line.name).sort(),
      Array.from({ length: 12 }, (_, n) => entry(n + 1).name).sort(),
    );
  });

  it('waits for the holder of the xlogdb lock, and gives up only after its deadline', async () => {
    const at = await layout();
    const held = await acquireLock(lockPath(at, 'xlogdb'), 'xlogdb');
    await assert.rejects(acquireXlogDbLock(at, 100), (error) => isBarkeepError(error, 'lockHeld'));
    let appended = false;
    const waiting = appendXlogDb(at, [entry(1)]).then(() => {
      appended = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(appended, false);
    await held.release();
    await waiting;
    assert.deepEqual(await readXlogDb(at), [entry(1)]);
  });

  it('reports an index it cannot open as an io error', async () => {
    const at = await layout();
    await mkdir(at.xlogDb);
    await assert.rejects(appendXlogDb(at, [entry(1)]), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot open WAL index');
      return true;
    });
    await assert.rejects(readXlogDb(at), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot read WAL index');
      return true;
    });
    const notADirectory = serverLayout(`xlog${++count}`, { barman_home: catalogs.home });
    await mkdir(notADirectory.backupDirectory, { recursive: true });
    await writeFile(notADirectory.wals, 'a file where wals/ should be');
    await assert.rejects(xlogDbTailHas(notADirectory, entry(1).name), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot read WAL index');
      return true;
    });
  });

  it('reads every well-formed line, skipping the others; none without the file', async () => {
    const at = await layout();
    assert.deepEqual(await readXlogDb(at), []);
    await writeFile(
      at.xlogDb,
      `${formatXlogDbLine(entry(1))}garbage\n\n${formatXlogDbLine(entry(2, 'zstd'))}`,
    );
    assert.deepEqual(await readXlogDb(at), [entry(1), entry(2, 'zstd')]);
  });

  it('finds a name among the last lines only, and only as a whole first field', async () => {
    const at = await layout();
    assert.equal(await xlogDbTailHas(at, entry(1).name), false);
    await appendXlogDb(at, [entry(1), entry(2), entry(3)]);
    assert.equal(await xlogDbTailHas(at, entry(3).name), true);
    assert.equal(await xlogDbTailHas(at, entry(1).name), true);
    assert.equal(await xlogDbTailHas(at, entry(4).name), false);
    // A longer name that starts with it (a .partial) is another file.
    await appendXlogDb(at, [{ ...entry(5), name: `${entry(6).name}.partial` }]);
    assert.equal(await xlogDbTailHas(at, entry(6).name), false);
    // Only the tail is read: the last two lines are 106 bytes, the first line is beyond 110.
    assert.equal(await xlogDbTailHas(at, entry(1).name, 110), false);
    assert.equal(await xlogDbTailHas(at, entry(3).name, 110), true);
  });
});

describe('readSegmentSizes', () => {
  it('reads the segments and their sizes, leaving out other files and bad lines', async () => {
    const { layout } = await new Catalogs().server();
    await mkdir(dirname(layout.xlogDb), { recursive: true });
    await writeFile(
      layout.xlogDb,
      [
        '000000010000000000000001\t1000\t1700000000.5\tzstd',
        '00000002.history\t42\t1700000001\tNone',
        '000000010000000000000002.00000028.backup\t300\t1700000002\tNone',
        'not a line',
        '00000001000000000000000G\t5\t1\tNone',
        '000000010000000000000003\t-7\t1\tNone',
        '000000020000000000000003\t2000\t1700000003\tNone',
        '',
      ].join('\n'),
    );
    const { logs, segments, sizes } = await readSegmentSizes(layout);
    assert.deepEqual([...logs], [0, 0]);
    assert.deepEqual([...segments], [1, 3]);
    assert.deepEqual([...sizes], [1000, 2000]);
  });

  it('is empty without an index', async () => {
    const { layout } = await new Catalogs().server();
    const { logs, sizes } = await readSegmentSizes({
      ...layout,
      xlogDb: `${layout.xlogDb}.none`,
    });
    assert.deepEqual([logs.length, sizes.length], [0, 0]);
  });
});
