import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { type Header, pack } from 'tar-stream';
import { listErrors } from '../../src/archive/errors-directory.ts';
import { putWalFromTarStream } from '../../src/archive/put-wal-tar-stream.ts';
import { compressBuffer, decompressBuffer } from '../../src/compression/compress-buffer.ts';
import { detectCompression } from '../../src/compression/compression-format.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import {
  Catalogs,
  historyFile,
  storedSegmentPath,
  type TestServer,
  useWalCluster,
  xlogDbLines,
} from './archive-fixtures.ts';

const source = useWalCluster('put-wal-tar', { segments: 3 });
const catalogs = new Catalogs();
const MTIME = new Date('2025-03-04T05:06:07Z');

type Member = Partial<Header> & {
  readonly name: string;
  readonly data?: Buffer;
  readonly pax?: Record<string, string>;
};

/** A tar stream as barman-wal-archive sends it (tar-stream writes ustar, PAX records on demand). */
async function tarStream(members: Member[]): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  packer.on('data', (chunk) => chunks.push(chunk as Buffer));
  const finished = new Promise((resolve) => packer.on('end', () => resolve(undefined)));
  for (const { data, ...header } of members) {
    await new Promise<void>((resolve, reject) =>
      packer.entry({ mtime: MTIME, ...header }, data ?? Buffer.alloc(0), (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }
  packer.finalize();
  await finished;
  return Buffer.concat(chunks);
}

function digest(algorithm: 'sha256' | 'md5', data: Buffer): string {
  return createHash(algorithm).update(data).digest('hex');
}

/** `SHA256SUMS` with Barman's binary-mode lines, `<hex> *<name>`. */
function sha256sums(files: { name: string; data: Buffer }[]): Member {
  const text = files.map((file) => `${digest('sha256', file.data)} *${file.name}\n`).join('');
  return { name: 'SHA256SUMS', data: Buffer.from(text) };
}

async function putStream(server: TestServer, members: Member[]): Promise<string[]> {
  return putWalFromTarStream(
    server.server,
    Readable.from([await tarStream(members)]),
    silentLogger,
  );
}

async function catalog(lines: string[] = []): Promise<TestServer> {
  return catalogs.server(lines, { identity: source.systemId });
}

async function refused(promise: Promise<unknown>, subject: string, why: RegExp): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(isBarkeepError(error, 'walInvalid'), String(error));
    assert.equal(error.what, 'refused put-wal stream');
    assert.equal(error.subject, subject);
    assert.match(error.why, why);
    assert.match(error.hint, /Nothing was stored/);
    return true;
  });
}

async function nothingStored(server: TestServer): Promise<void> {
  assert.deepEqual(await xlogDbLines(server.layout), []);
  assert.deepEqual(
    (await readdir(server.layout.wals, { recursive: true }).catch(() => [])).filter(
      (name) => !String(name).endsWith('xlog.db'),
    ),
    [],
  );
}

describe('putWalFromTarStream', () => {
  it('stores the WAL file of a SHA256SUMS stream per the configured compression', async () => {
    const server = await catalog(['compression = zstd']);
    const segment = source.segments[0]!;
    const names = await putStream(server, [segment, sha256sums([segment])]);
    assert.deepEqual(names, [segment.name]);
    const stored = await readFile(storedSegmentPath(server.layout, segment.name));
    assert.equal(detectCompression(stored), 'zstd');
    assert.ok((await decompressBuffer(stored)).equals(segment.data));
    assert.deepEqual(await xlogDbLines(server.layout), [
      `${segment.name}\t${stored.length}\t${MTIME.getTime() / 1000}\tzstd`,
    ]);
  });

  it('accepts MD5SUMS with two-space lines, upper-case digests and ./ names', async () => {
    const server = await catalog();
    const segment = source.segments[1]!;
    const history = historyFile();
    const sums = [segment, history]
      .map((file) => `${digest('md5', file.data).toUpperCase()}  ./${file.name}\r\n`)
      .join('');
    const names = await putStream(server, [
      { name: `./${segment.name}`, data: segment.data },
      { name: history.name, data: history.data },
      { name: 'MD5SUMS', data: Buffer.from(`garbage line\n${sums}`) },
    ]);
    assert.deepEqual(names, [segment.name, history.name]);
    assert.ok(
      (await readFile(storedSegmentPath(server.layout, segment.name))).equals(segment.data),
    );
    assert.ok((await readFile(join(server.layout.wals, history.name))).equals(history.data));
  });

  it('records the fractional mtime of a PAX header, as Python tarfile writes it', async () => {
    const server = await catalog();
    const segment = source.segments[2]!;
    await putStream(server, [
      { ...segment, pax: { mtime: '1741064767.1234567' } },
      sha256sums([segment]),
    ]);
    const [line] = await xlogDbLines(server.layout);
    assert.ok(Math.abs(Number(line!.split('\t')[2]) - 1741064767.1234567) < 1e-6, line);
  });

  it('reads a PAX stream made by tar(1)', {
    skip: spawnSync('tar', ['--version']).status === 0 ? false : 'tar is not installed',
  }, async () => {
    const server = await catalog(['compression = gzip']);
    const segment = source.segments[0]!;
    const dir = await mkdtemp(join(catalogs.dir, 'client-'));
    await writeFile(join(dir, segment.name), segment.data);
    await utimes(join(dir, segment.name), 1741064767.5, 1741064767.5);
    await writeFile(join(dir, 'SHA256SUMS'), sha256sums([segment]).data!);
    const tar = spawnSync(
      'tar',
      ['--format=pax', '-cf', '-', '-C', dir, segment.name, 'SHA256SUMS'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(tar.status, 0, `${tar.error ?? ''} ${tar.stderr}`);
    const names = await putWalFromTarStream(
      server.server,
      Readable.from([tar.stdout]),
      silentLogger,
    );
    assert.deepEqual(names, [segment.name]);
    const [line] = await xlogDbLines(server.layout);
    assert.equal(line!.split('\t')[2], '1741064767.5');
  });

  it('decompresses a member the client compressed, then stores it per the configuration', async () => {
    const server = await catalog(['compression = lz4']);
    const segment = source.segments[1]!;
    const gzipped = { name: segment.name, data: await compressBuffer('gzip', segment.data) };
    await putStream(server, [gzipped, sha256sums([gzipped])]);
    const stored = await readFile(storedSegmentPath(server.layout, segment.name));
    assert.equal(detectCompression(stored), 'lz4');
    assert.ok((await decompressBuffer(stored)).equals(segment.data));
  });

  it('refuses a member compressed in a format it cannot read, naming the format', async () => {
    const server = await catalog();
    const name = source.segments[0]!.name;
    const bzip2 = { name, data: Buffer.concat([Buffer.from('BZh9'), Buffer.alloc(100, 1)]) };
    await assert.rejects(putStream(server, [bzip2, sha256sums([bzip2])]), (error) => {
      assert.ok(isBarkeepError(error, 'unsupportedCompression'), String(error));
      assert.match(error.why, /bzip2/);
      return true;
    });
    await nothingStored(server);
  });

  it('refuses a file without a checksum line, and stores nothing', async () => {
    const server = await catalog();
    const [first, second] = source.segments;
    await refused(
      putStream(server, [first!, second!, sha256sums([first!])]),
      second!.name,
      /SHA256SUMS has no line for it/,
    );
    await nothingStored(server);
  });

  it('refuses a file whose checksum does not match, and stores nothing', async () => {
    const server = await catalog();
    const segment = source.segments[0]!;
    const damaged = Buffer.from(segment.data);
    damaged[5000]! ^= 0x10;
    await refused(
      putStream(server, [{ name: segment.name, data: damaged }, sha256sums([segment])]),
      segment.name,
      /its sha256 is [0-9a-f]{64}, SHA256SUMS says [0-9a-f]{64}: damaged in transfer/,
    );
    const md5 = `${digest('md5', segment.data)}  ${segment.name}\n`;
    await refused(
      putStream(server, [
        { name: segment.name, data: damaged },
        { name: 'MD5SUMS', data: Buffer.from(md5) },
      ]),
      segment.name,
      /its md5 is .*: damaged in transfer/,
    );
    await nothingStored(server);
  });

  it('refuses a stream without checksums or without a WAL file', async () => {
    const server = await catalog();
    const segment = source.segments[0]!;
    await refused(putStream(server, [segment]), 'stdin', /no SHA256SUMS or MD5SUMS member/);
    await refused(putStream(server, [sha256sums([])]), 'stdin', /holds no WAL file/);
    await nothingStored(server);
  });

  it('treats a member named like an object property as a file, not as checksums', async () => {
    const server = await catalog();
    const segment = source.segments[0]!;
    const odd = { name: 'constructor', data: Buffer.from('x') };
    await refused(
      putStream(server, [odd, segment, sha256sums([segment])]),
      'constructor',
      /SHA256SUMS has no line for it/,
    );
    await nothingStored(server);
  });

  it('refuses a member with a directory in its name, and one that is not a plain file', async () => {
    const server = await catalog();
    const segment = source.segments[0]!;
    const nested = { name: `pg_wal/${segment.name}`, data: segment.data };
    await refused(
      putStream(server, [nested, sha256sums([nested])]),
      nested.name,
      /only plain files with base names/,
    );
    await refused(
      putStream(server, [{ name: 'pg_wal', type: 'directory' }, segment, sha256sums([segment])]),
      'pg_wal',
      /only plain files with base names/,
    );
    await nothingStored(server);
  });

  it('refuses bytes that are not a tar stream, and a stream cut short', async () => {
    const server = await catalog();
    const segment = source.segments[0]!;
    const garbage = Buffer.alloc(1024, 0x41);
    await refused(
      putWalFromTarStream(server.server, Readable.from([garbage]), silentLogger),
      'stdin',
      /not a valid tar stream/,
    );
    const whole = await tarStream([segment, sha256sums([segment])]);
    await refused(
      putWalFromTarStream(server.server, Readable.from([whole.subarray(0, 300_000)]), silentLogger),
      'stdin',
      /not a valid tar stream/,
    );
    await nothingStored(server);
  });

  it('passes on an error of its input', async () => {
    const server = await catalog();
    const input = new Readable({
      read() {
        this.destroy(new Error('ssh connection closed'));
      },
    });
    await assert.rejects(
      putWalFromTarStream(server.server, input, silentLogger),
      /ssh connection closed/,
    );
  });

  it('accepts an identical re-offer and keeps other content once in errors/', async () => {
    const server = await catalog(['compression = gzip']);
    const segment = source.segments[2]!;
    await putStream(server, [segment, sha256sums([segment])]);
    const index = await readFile(server.layout.xlogDb, 'utf8');
    assert.deepEqual(await putStream(server, [segment, sha256sums([segment])]), [segment.name]);
    assert.equal(await readFile(server.layout.xlogDb, 'utf8'), index);
    const altered = { name: segment.name, data: Buffer.from(segment.data) };
    altered.data[altered.data.length - 1]! ^= 0xff;
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(putStream(server, [altered, sha256sums([altered])]), (error) =>
        isBarkeepError(error, 'walDuplicate'),
      );
    }
    const errors = await listErrors(server.layout);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /\.duplicate$/);
    assert.equal(await readFile(server.layout.xlogDb, 'utf8'), index);
    assert.ok(existsSync(storedSegmentPath(server.layout, segment.name)));
  });
});
