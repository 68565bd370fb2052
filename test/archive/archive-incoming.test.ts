import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { archiveIncoming } from '../../src/archive/archive-incoming.ts';
import { listErrors } from '../../src/archive/errors-directory.ts';
import { lockPath } from '../../src/catalog/server-layout.ts';
import { compressBuffer, decompressBuffer } from '../../src/compression/compress-buffer.ts';
import { detectCompression } from '../../src/compression/compression-format.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { createLogger, type LogLevel, silentLogger } from '../../src/logging/logger.ts';
import { acquireLock } from '../../src/storage/process-lock.ts';
import {
  Catalogs,
  dropLastXlogDbLine,
  historyFile,
  SEGMENT_SIZE,
  storedSegmentPath,
  type TestServer,
  useWalCluster,
  writeAged,
  xlogDbLines,
} from './archive-fixtures.ts';

const source = useWalCluster('archive-incoming', { segments: 4, backupFile: true });
const catalogs = new Catalogs();
const MINUTE = 60_000;

async function catalog(lines: string[] = ['compression = zstd']): Promise<TestServer> {
  const made = await catalogs.server(lines, { identity: source.systemId });
  await mkdir(made.layout.incoming, { recursive: true });
  await mkdir(made.layout.streaming, { recursive: true });
  return made;
}

async function visible(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => !name.startsWith('.')).sort();
}

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger([
    { write: (level: LogLevel, message: string) => lines.push(`${level}: ${message}`) },
  ]);
  return { logger, lines };
}

describe('archiveIncoming', () => {
  it('archives incoming/ and completed streaming/ segments, then removes them', async () => {
    const { server, layout } = await catalog();
    const [a, b, c, d] = source.segments;
    await writeAged(join(layout.incoming, a!.name), a!.data, 10 * MINUTE);
    await writeAged(join(layout.incoming, b!.name), b!.data, 5 * MINUTE);
    await writeAged(join(layout.streaming, c!.name), c!.data, 2 * MINUTE);
    // The segment being streamed, a temporary file and a directory are not archived.
    const partial = d!.data.subarray(0, 16_384);
    await writeFile(join(layout.streaming, `${d!.name}.partial`), partial);
    await writeFile(join(layout.incoming, `.${d!.name}.rsync-tmp`), d!.data);
    await mkdir(join(layout.incoming, 'lost+found'));

    const result = await archiveIncoming(server, silentLogger);
    assert.deepEqual(result, {
      archived: [a!.name, b!.name, c!.name],
      alreadyArchived: [],
      rejected: [],
      deferred: [],
    });
    assert.deepEqual(await visible(layout.incoming), ['lost+found']);
    assert.deepEqual(await visible(layout.streaming), [`${d!.name}.partial`]);
    assert.ok(existsSync(join(layout.incoming, `.${d!.name}.rsync-tmp`)));
    for (const segment of [a!, b!, c!]) {
      const stored = await readFile(storedSegmentPath(layout, segment.name));
      assert.equal(detectCompression(stored), 'zstd');
      assert.ok((await decompressBuffer(stored)).equals(segment.data), segment.name);
    }
    const lines = await xlogDbLines(layout);
    assert.deepEqual(
      lines.map((line) => line.split('\t')[0]),
      [a!.name, b!.name, c!.name],
    );
    // The index and the stored file keep the time of the file in incoming/.
    const offeredTime = Number(lines[0]!.split('\t')[2]) * 1000;
    assert.ok(Math.abs(offeredTime - (Date.now() - 10 * MINUTE)) < MINUTE, lines[0]);
    const storedTime = (await stat(storedSegmentPath(layout, a!.name))).mtimeMs;
    assert.ok(Math.abs(storedTime - offeredTime) < 1, `${storedTime} ${offeredTime}`);
  });

  it('stores and indexes once a segment found in both incoming/ and streaming/', async () => {
    const { server, layout } = await catalog();
    const segment = source.segments[0]!;
    await writeAged(join(layout.incoming, segment.name), segment.data, MINUTE * 2);
    await writeAged(join(layout.streaming, segment.name), segment.data, MINUTE * 2);
    const result = await archiveIncoming(server, silentLogger);
    assert.deepEqual(result.archived, [segment.name]);
    assert.deepEqual(result.alreadyArchived, [segment.name]);
    assert.deepEqual(await visible(layout.incoming), []);
    assert.deepEqual(await visible(layout.streaming), []);
    assert.equal((await xlogDbLines(layout)).length, 1);
  });

  it('drops an identical re-offer, and restores the xlog.db line a crash left out', async () => {
    const { server, layout } = await catalog();
    const [first, second] = source.segments;
    for (const segment of [first!, second!]) {
      await writeAged(join(layout.incoming, segment.name), segment.data, MINUTE * 2);
    }
    await archiveIncoming(server, silentLogger);
    const stored = storedSegmentPath(layout, second!.name);
    const before = await stat(stored);
    const index = await readFile(layout.xlogDb, 'utf8');

    await writeAged(join(layout.incoming, second!.name), second!.data, MINUTE * 2);
    const again = await archiveIncoming(server, silentLogger);
    assert.deepEqual(again.alreadyArchived, [second!.name]);
    assert.deepEqual(again.archived, []);
    assert.deepEqual(await visible(layout.incoming), []);
    assert.equal(await readFile(layout.xlogDb, 'utf8'), index);
    assert.equal((await stat(stored)).ino, before.ino);
    assert.equal((await stat(stored)).mtimeMs, before.mtimeMs);

    const lost = await dropLastXlogDbLine(layout);
    await writeAged(join(layout.incoming, second!.name), second!.data, MINUTE * 2);
    const repaired = await archiveIncoming(server, silentLogger);
    assert.deepEqual(repaired.alreadyArchived, [second!.name]);
    // The line is back, with the re-offered file's mtime: name, stored size and compression agree.
    const lines = await xlogDbLines(layout);
    assert.equal(lines.length, 2);
    const withoutTime = (line: string) => line.split('\t').filter((_, field) => field !== 2);
    assert.deepEqual(withoutTime(lines[1]!), withoutTime(lost));
    assert.deepEqual(withoutTime(lost), [second!.name, String(before.size), 'zstd']);
  });

  it('moves other content under an archived name to errors/ as a duplicate', async () => {
    const { server, layout } = await catalog();
    const segment = source.segments[1]!;
    await writeAged(join(layout.incoming, segment.name), segment.data, MINUTE * 2);
    await archiveIncoming(server, silentLogger);
    const stored = await readFile(storedSegmentPath(layout, segment.name));
    const altered = Buffer.from(segment.data);
    altered[SEGMENT_SIZE - 1]! ^= 0x01;
    await writeAged(join(layout.incoming, segment.name), altered, MINUTE * 2);
    const { logger, lines } = capturingLogger();
    const result = await archiveIncoming(server, logger);
    assert.equal(result.rejected.length, 1);
    const [rejected] = result.rejected;
    assert.equal(rejected!.name, segment.name);
    assert.match(rejected!.keptAs, new RegExp(`/${segment.name}\\.\\d{8}T\\d{6}Z\\.duplicate$`));
    assert.match(rejected!.reason, /a different file with this name is already archived/);
    assert.ok((await readFile(rejected!.keptAs)).equals(altered));
    assert.ok((await readFile(storedSegmentPath(layout, segment.name))).equals(stored));
    assert.deepEqual(await visible(layout.incoming), []);
    assert.equal((await xlogDbLines(layout)).length, 1);
    assert.ok(lines.some((line) => line.startsWith('error: ') && line.includes('Moved to')));
  });

  it("keeps unknown names and another cluster's WAL in errors/", async () => {
    const { server, layout } = await catalogs.server([], { identity: '6000000000000000001' });
    await mkdir(layout.incoming, { recursive: true });
    const [foreign, truncated] = source.segments;
    await writeAged(join(layout.incoming, foreign!.name), foreign!.data, MINUTE * 2);
    await writeAged(join(layout.incoming, 'junk.txt'), Buffer.from('not wal'), MINUTE * 2);
    const gzipped = `${truncated!.name}.gz`;
    await writeAged(
      join(layout.incoming, gzipped),
      await compressBuffer('gzip', truncated!.data),
      0,
    );
    const result = await archiveIncoming(server, silentLogger);
    const kept = await listErrors(layout);
    const suffixes = Object.fromEntries(
      kept.map((name) => [name.replace(/\.\d{8}T\d{6}Z\..*$/, ''), name.split('.').pop()]),
    );
    assert.deepEqual(suffixes, {
      [foreign!.name]: 'error',
      'junk.txt': 'unknown',
      [gzipped]: 'unknown',
    });
    assert.deepEqual(
      result.rejected.map((entry) => entry.name).sort(),
      [foreign!.name, gzipped, 'junk.txt'].sort(),
    );
    assert.deepEqual(await visible(layout.incoming), []);
    assert.deepEqual(await xlogDbLines(layout), []);
  });

  it('leaves a recent truncated file for the next pass, and moves an old one to errors/', async () => {
    const { server, layout } = await catalog();
    const [recent, old] = source.segments;
    const recentPath = join(layout.incoming, recent!.name);
    await writeAged(recentPath, recent!.data.subarray(0, SEGMENT_SIZE / 4), 1_000);
    await writeAged(join(layout.incoming, old!.name), old!.data.subarray(0, 100_000), 30 * MINUTE);
    const { logger, lines } = capturingLogger();
    const result = await archiveIncoming(server, logger);
    assert.deepEqual(result.deferred, [recent!.name]);
    assert.deepEqual(
      result.rejected.map((entry) => entry.name),
      [old!.name],
    );
    assert.match(result.rejected[0]!.keptAs, /\.error$/);
    assert.deepEqual(await visible(layout.incoming), [recent!.name]);
    assert.equal((await readFile(recentPath)).length, SEGMENT_SIZE / 4);
    assert.ok(lines.some((line) => line.startsWith('warning: ') && line.includes('incomplete')));
    // Once complete, the next pass archives it.
    await writeAged(recentPath, recent!.data, 0);
    assert.deepEqual((await archiveIncoming(server, silentLogger)).archived, [recent!.name]);
  });

  it('stores .history, .backup and .partial files from incoming/ at their places', async () => {
    const { server, layout } = await catalog(['compression = gzip']);
    const history = historyFile();
    const backup = source.backupFile;
    const last = source.segments[3]!;
    const partial = { name: `${last.name}.partial`, data: last.data.subarray(0, 8192 * 4) };
    for (const file of [history, backup, partial]) {
      await writeAged(join(layout.incoming, file.name), file.data, MINUTE);
    }
    const result = await archiveIncoming(server, silentLogger);
    assert.deepEqual(result.archived.sort(), [history.name, backup.name, partial.name].sort());
    assert.ok((await readFile(join(layout.wals, history.name))).equals(history.data));
    assert.ok((await readFile(storedSegmentPath(layout, backup.name))).equals(backup.data));
    const storedPartial = await readFile(storedSegmentPath(layout, partial.name));
    assert.equal(detectCompression(storedPartial), 'gzip');
    assert.ok((await decompressBuffer(storedPartial)).equals(partial.data));
    const compressions = Object.fromEntries(
      (await xlogDbLines(layout)).map((line) => [line.split('\t')[0], line.split('\t')[3]]),
    );
    assert.deepEqual(compressions, {
      [history.name]: 'None',
      [backup.name]: 'None',
      [partial.name]: 'gzip',
    });
  });

  it('handles passes larger than one batch', async () => {
    const { server, layout } = await catalog();
    for (let n = 0; n < 40; n++) {
      await writeFile(join(layout.incoming, `junk-${String(n).padStart(2, '0')}`), `${n}`);
    }
    const segment = source.segments[2]!;
    await writeAged(join(layout.incoming, segment.name), segment.data, MINUTE);
    const result = await archiveIncoming(server, silentLogger);
    assert.deepEqual(result.archived, [segment.name]);
    assert.equal(result.rejected.length, 40);
    assert.equal((await listErrors(layout)).length, 40);
    assert.deepEqual(await visible(layout.incoming), []);
  });

  it('lets only one pass run at a time: a concurrent one gets lockHeld', async () => {
    const { server, layout } = await catalog();
    for (const segment of source.segments) {
      await writeAged(join(layout.incoming, segment.name), segment.data, MINUTE);
    }
    const outcomes = await Promise.allSettled([
      archiveIncoming(server, silentLogger),
      archiveIncoming(server, silentLogger),
    ]);
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    const done = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    assert.equal(failed.length, 1);
    assert.ok(isBarkeepError(failed[0]!.reason, 'lockHeld'), String(failed[0]!.reason));
    assert.equal(done[0]!.value.archived.length, source.segments.length);
    assert.equal(existsSync(lockPath(layout, 'archive-wal')), false, 'the lock is released');

    const held = await acquireLock(lockPath(layout, 'archive-wal'), 'archive-wal');
    try {
      await assert.rejects(archiveIncoming(server, silentLogger), (error) =>
        isBarkeepError(error, 'lockHeld'),
      );
    } finally {
      await held.release();
    }
  });

  it('stops at a damaged stored copy, leaving the source, and releases its lock', async () => {
    const { server, layout } = await catalog();
    const segment = source.segments[0]!;
    const path = storedSegmentPath(layout, segment.name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, (await compressBuffer('gzip', segment.data)).subarray(0, 500));
    await writeAged(join(layout.incoming, segment.name), segment.data, MINUTE);
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(archiveIncoming(server, silentLogger), (error) =>
        isBarkeepError(error, 'corruptArchive'),
      );
    }
    assert.deepEqual(await visible(layout.incoming), [segment.name]);
    assert.deepEqual(await listErrors(layout), []);
  });

  it('refuses to run when the catalog never met its server and cannot ask it', async () => {
    const { server } = await catalogs.server([]);
    await assert.rejects(archiveIncoming(server, silentLogger), (error) => {
      assert.ok(isBarkeepError(error, 'operationFailed'));
      assert.match(error.hint, /Run 'barkeep check/);
      return true;
    });
  });
});
