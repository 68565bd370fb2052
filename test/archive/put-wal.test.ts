import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listErrors } from '../../src/archive/errors-directory.ts';
import { archiveTarget, putWalFile, storeAndIndex } from '../../src/archive/put-wal.ts';
import { readServerIdentity } from '../../src/catalog/server-identity.ts';
import { decompressBuffer } from '../../src/compression/compress-buffer.ts';
import { detectCompression } from '../../src/compression/compression-format.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import {
  Catalogs,
  dropLastXlogDbLine,
  historyFile,
  storedSegmentPath,
  useWalCluster,
  type WalFile,
  xlogDbLines,
} from './archive-fixtures.ts';

const source = useWalCluster('put-wal', { segments: 4, backupFile: true });
const catalogs = new Catalogs();

/** Writes a file as PostgreSQL hands it to archive_command (%p), with an mtime in the past. */
async function offered(file: WalFile, data = file.data): Promise<string> {
  const dir = await mkdtemp(join(catalogs.dir, 'pg_wal-'));
  const path = join(dir, file.name);
  await writeFile(path, data);
  const when = new Date('2025-03-04T05:06:07.500Z');
  await utimes(path, when, when);
  return path;
}

async function linesFor(
  layout: Parameters<typeof xlogDbLines>[0],
  name: string,
): Promise<string[]> {
  return (await xlogDbLines(layout)).filter((line) => line.startsWith(`${name}\t`));
}

describe('putWalFile', () => {
  it('stores the file compressed under its plain name and indexes it with its mtime', async () => {
    const { server, layout } = await catalogs.server(['compression = gzip'], {
      identity: source.systemId,
    });
    const segment = source.segments[0]!;
    const outcome = await putWalFile(server, await offered(segment), silentLogger);
    assert.equal(outcome.kind, 'stored');
    const path = storedSegmentPath(layout, segment.name);
    const stored = await readFile(path);
    assert.equal(detectCompression(stored), 'gzip');
    assert.ok((await decompressBuffer(stored)).equals(segment.data));
    assert.deepEqual(await xlogDbLines(layout), [
      `${segment.name}\t${stored.length}\t${Date.parse('2025-03-04T05:06:07.500Z') / 1000}\tgzip`,
    ]);
    for (const directory of [layout.errors, layout.incoming, layout.streaming, layout.base]) {
      assert.ok(existsSync(directory), `${directory} was created`);
    }
  });

  it('stores plain when no compression is configured', async () => {
    const { server, layout } = await catalogs.server([], { identity: source.systemId });
    const segment = source.segments[1]!;
    await putWalFile(server, await offered(segment), silentLogger);
    assert.ok((await readFile(storedSegmentPath(layout, segment.name))).equals(segment.data));
    assert.match((await xlogDbLines(layout))[0]!, /\tNone$/);
    assert.equal((await archiveTarget(server, silentLogger)).compression, 'none');
  });

  it('keeps .history and .backup files plain at their places', async () => {
    const { server, layout } = await catalogs.server(['compression = zstd'], {
      identity: source.systemId,
    });
    for (const file of [historyFile(), source.backupFile]) {
      await putWalFile(server, await offered(file), silentLogger);
    }
    const history = historyFile();
    assert.ok((await readFile(join(layout.wals, history.name))).equals(history.data));
    const backup = source.backupFile;
    assert.ok((await readFile(storedSegmentPath(layout, backup.name))).equals(backup.data));
    assert.deepEqual(
      (await xlogDbLines(layout)).map((line) => line.split('\t')[3]),
      ['None', 'None'],
    );
  });

  it('accepts an identical re-offer and changes nothing', async () => {
    const { server, layout } = await catalogs.server(['compression = lz4'], {
      identity: source.systemId,
    });
    const segment = source.segments[0]!;
    const path = await offered(segment);
    await putWalFile(server, path, silentLogger);
    const stored = storedSegmentPath(layout, segment.name);
    const before = await stat(stored);
    const index = await readFile(layout.xlogDb, 'utf8');
    const outcome = await putWalFile(server, path, silentLogger);
    assert.equal(outcome.kind, 'identical');
    const after = await stat(stored);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(await readFile(layout.xlogDb, 'utf8'), index);
    assert.deepEqual(await listErrors(layout), []);
  });

  it('restores the xlog.db line a crash left out, once', async () => {
    const { server, layout } = await catalogs.server(['compression = zstd'], {
      identity: source.systemId,
    });
    const [first, second] = source.segments;
    await putWalFile(server, await offered(first!), silentLogger);
    const path = await offered(second!);
    await putWalFile(server, path, silentLogger);
    const lost = await dropLastXlogDbLine(layout);
    assert.deepEqual(await linesFor(layout, second!.name), []);
    const outcome = await putWalFile(server, path, silentLogger);
    assert.equal(outcome.kind, 'identical');
    assert.deepEqual(await linesFor(layout, second!.name), [lost]);
    await putWalFile(server, path, silentLogger);
    assert.deepEqual(await linesFor(layout, second!.name), [lost]);
    assert.equal((await xlogDbLines(layout)).length, 2);
  });

  it('refuses other content under an archived name, keeping it once in errors/', async () => {
    const { server, layout } = await catalogs.server(['compression = gzip'], {
      identity: source.systemId,
    });
    const segment = source.segments[2]!;
    await putWalFile(server, await offered(segment), silentLogger);
    const stored = await readFile(storedSegmentPath(layout, segment.name));
    const index = await readFile(layout.xlogDb, 'utf8');
    const altered = Buffer.from(segment.data);
    altered[altered.length - 100]! ^= 0x55;
    const path = await offered(segment, altered);
    for (let attempt = 0; attempt < 3; attempt++) {
      await assert.rejects(putWalFile(server, path, silentLogger), (error) => {
        assert.ok(isBarkeepError(error, 'walDuplicate'));
        assert.equal(error.subject, segment.name);
        return true;
      });
    }
    const errors = await listErrors(layout);
    assert.equal(errors.length, 1, errors.join());
    assert.match(errors[0]!, new RegExp(`^${segment.name}\\.\\d{8}T\\d{6}Z\\.duplicate$`));
    assert.ok((await readFile(join(layout.errors, errors[0]!))).equals(altered));
    assert.ok((await readFile(storedSegmentPath(layout, segment.name))).equals(stored));
    assert.equal(await readFile(layout.xlogDb, 'utf8'), index);
  });

  it("refuses another cluster's WAL and stores nothing (PostgreSQL keeps its copy)", async () => {
    const { server, layout } = await catalogs.server([], { identity: '6000000000000000001' });
    const segment = source.segments[0]!;
    await assert.rejects(putWalFile(server, await offered(segment), silentLogger), (error) =>
      isBarkeepError(error, 'systemIdMismatch'),
    );
    assert.equal(existsSync(storedSegmentPath(layout, segment.name)), false);
    assert.deepEqual(await xlogDbLines(layout), []);
    assert.deepEqual(await listErrors(layout), []);
  });

  it('refuses a file that is not WAL without keeping it (PostgreSQL keeps its copy)', async () => {
    const { server, layout } = await catalogs.server([], { identity: source.systemId });
    const dir = await mkdtemp(join(catalogs.dir, 'pg_wal-'));
    await writeFile(join(dir, 'notes.txt'), 'hello');
    await assert.rejects(putWalFile(server, join(dir, 'notes.txt'), silentLogger), (error) =>
      isBarkeepError(error, 'walInvalid'),
    );
    assert.deepEqual(await listErrors(layout), []);
  });

  it('reports a path it cannot read as an io error', async () => {
    const { server } = await catalogs.server([], { identity: source.systemId });
    const missing = join(catalogs.dir, 'nowhere', source.segments[0]!.name);
    await assert.rejects(putWalFile(server, missing, silentLogger), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot read WAL file');
      assert.equal(error.subject, missing);
      return true;
    });
  });

  it('learns the identity from conninfo on first contact, then archives', async () => {
    const { server, layout } = await catalogs.server([`conninfo = ${source.cluster.conninfo()}`]);
    const segment = source.segments[3]!;
    await putWalFile(server, await offered(segment), silentLogger);
    assert.equal((await readServerIdentity(layout.identityFile))?.systemid, source.systemId);
    assert.ok(existsSync(storedSegmentPath(layout, segment.name)));
  });

  it('refuses to archive when the catalog never met its server and cannot ask it', async () => {
    const { server, layout } = await catalogs.server([]);
    const segment = source.segments[0]!;
    await assert.rejects(putWalFile(server, await offered(segment), silentLogger), (error) => {
      assert.ok(isBarkeepError(error, 'operationFailed'));
      assert.match(error.hint, new RegExp(`Run 'barkeep check ${server.name}'`));
      return true;
    });
    assert.equal(existsSync(storedSegmentPath(layout, segment.name)), false);
  });

  it('archives concurrent offers, each indexed once', async () => {
    const { server, layout } = await catalogs.server(['compression = lz4'], {
      identity: source.systemId,
    });
    const paths = await Promise.all(source.segments.map((segment) => offered(segment)));
    await Promise.all(paths.map((path) => putWalFile(server, path, silentLogger)));
    assert.deepEqual(
      (await xlogDbLines(layout)).map((line) => line.split('\t')[0]).sort(),
      source.segments.map((segment) => segment.name).sort(),
    );
  });
});

describe('storeAndIndex', () => {
  it('indexes what it stores, the same way for every caller', async () => {
    const { server, layout } = await catalogs.server([], { identity: source.systemId });
    const target = await archiveTarget(server, silentLogger);
    await mkdir(layout.wals, { recursive: true });
    const segment = source.segments[1]!;
    const outcome = await storeAndIndex(
      { ...segment, mtimeMs: 1_700_000_000_000 },
      target,
      silentLogger,
    );
    assert.equal(outcome.kind, 'stored');
    assert.deepEqual(await xlogDbLines(layout), [
      `${segment.name}\t${segment.data.length}\t1700000000\tNone`,
    ]);
  });
});
