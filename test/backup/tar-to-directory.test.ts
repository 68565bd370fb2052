import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TarToDirectory } from '../../src/backup/tar-to-directory.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { WriteBehind } from '../../src/storage/write-behind.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-tar-to-directory-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

/** A source tree with what a cluster holds: files of odd sizes, an empty one, a link, a long path. */
function sourceTree(): string {
  const root = join(scratch, `source-${++counter}`);
  mkdirSync(join(root, 'base', '1'), { recursive: true });
  mkdirSync(join(root, 'pg_tblspc'));
  writeFileSync(join(root, 'PG_VERSION'), '15\n');
  writeFileSync(join(root, 'base', '1', '1259'), Buffer.alloc(8192 * 3 + 17, 7));
  writeFileSync(join(root, 'empty'), '');
  symlinkSync('/srv/tablespace', join(root, 'pg_tblspc', '16384'));
  const deep = join(root, 'd'.repeat(60), 'e'.repeat(60));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, 'f'.repeat(40)), 'long path\n');
  return root;
}

/** The tree as GNU tar writes it in `format` (gnu: ././@LongLink entries; pax: extended headers). */
function tarOf(root: string, format: 'gnu' | 'pax' | 'ustar'): Buffer {
  const result = spawnSync('tar', [`--format=${format}`, '-C', root, '-cf', '-', '.'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(result.status, 0, String(result.stderr));
  return result.stdout;
}

/** One ustar header block for a regular file, checksum included. */
function ustarHeader(name: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 'utf8');
  block.write('0000644\0', 100, 'latin1');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('00000000000\0', 136, 'latin1');
  block[156] = 0x30;
  block.write('ustar\u000000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

async function unpack(archive: Buffer, chunkSize: number, target: string) {
  const tar = new TarToDirectory(target, (path, link) =>
    path.startsWith('pg_tblspc/') ? `../../${path.split('/')[1]}` : link,
  );
  for (let at = 0; at < archive.length; at += chunkSize)
    await tar.write(archive.subarray(at, at + chunkSize));
  return tar.end();
}

describe('TarToDirectory', () => {
  for (const format of ['gnu', 'pax'] as const) {
    for (const chunkSize of [1, 7, 513, 65536]) {
      it(`unpacks ${format} tar fed in chunks of ${chunkSize} bytes: content, modes, times, links, long paths`, async () => {
        const source = sourceTree();
        const target = join(scratch, `target-${++counter}`);
        const result = await unpack(tarOf(source, format), chunkSize, target);
        const longFile = join('d'.repeat(60), 'e'.repeat(60), 'f'.repeat(40));
        assert.deepEqual(
          [...result.files].sort(),
          ['PG_VERSION', 'base/1/1259', 'empty', longFile].sort(),
        );
        assert.equal(result.bytes, 3 + 8192 * 3 + 17 + 10);
        for (const file of result.files) {
          assert.ok(
            readFileSync(join(target, file)).equals(readFileSync(join(source, file))),
            file,
          );
          const [written, original] = [statSync(join(target, file)), statSync(join(source, file))];
          assert.equal(written.mode & 0o777, original.mode & 0o777);
          assert.equal(Math.floor(written.mtimeMs / 1000), Math.floor(original.mtimeMs / 1000));
        }
        assert.equal(readlinkSync(join(target, 'pg_tblspc', '16384')), '../../16384');
      });
    }
  }

  it('refuses a path that leaves the target, and a damaged header', async () => {
    // GNU tar strips a leading ../ itself: the header is written by hand, as a hostile stream would.
    const escaping = Buffer.concat([ustarHeader('../outside', 1), Buffer.alloc(512, 0x78)]);
    await assert.rejects(
      unpack(escaping, 512, join(scratch, `t-${++counter}`)),
      (error: unknown) =>
        isBarkeepError(error) && /leaves the backup directory/.test(error.message),
    );
    const damaged = Buffer.from(tarOf(sourceTree(), 'ustar'));
    damaged[20] = (damaged[20]! + 1) & 0xff; // inside the first header's name: checksum mismatch
    await assert.rejects(
      unpack(damaged, 4096, join(scratch, `t-${++counter}`)),
      (error: unknown) => isBarkeepError(error) && /not a valid tar stream/.test(error.message),
    );
  });

  it('reports an archive cut short inside an entry, and refuses writes after a failure', async () => {
    const archive = tarOf(sourceTree(), 'ustar');
    const target = join(scratch, `cut-${++counter}`);
    const tar = new TarToDirectory(target);
    // Up to the middle of some entry's data: the first header and part of what follows.
    await tar.write(archive.subarray(0, 512 * 3 + 100));
    await assert.rejects(
      tar.end(),
      (error: unknown) => isBarkeepError(error) && /ended inside an entry/.test(error.message),
    );
    await assert.rejects(tar.write(Buffer.alloc(10)));
  });

  it('names the file it cannot write', async () => {
    const target = join(scratch, `blocked-${++counter}`);
    writeFileSync(target, 'a file where the directory should be');
    await assert.rejects(
      unpack(tarOf(sourceTree(), 'ustar'), 65536, target),
      (error: unknown) => isBarkeepError(error, 'io') && error.subject.startsWith(target),
    );
  });

  it('stops at the end-of-archive blocks and ignores what follows', async () => {
    const archive = Buffer.concat([tarOf(sourceTree(), 'ustar'), Buffer.alloc(4096, 0)]);
    const result = await unpack(archive, 1000, join(scratch, `end-${++counter}`));
    assert.equal(result.files.length, 4);
  });

  it('starts the writeback of a large file while writing it, and end() waits for that flush', async () => {
    const size = 40 * 1024 * 1024;
    const archive = Buffer.concat([
      ustarHeader('base/1/16384', size),
      Buffer.alloc(size, 9),
      Buffer.alloc(1024, 0),
    ]);
    const flushed: string[] = [];
    let finishFlush: (() => void) | undefined;
    const writeBehind = new WriteBehind((fd, callback) => {
      flushed.push(readlinkSync(`/proc/self/fd/${fd}`));
      finishFlush = () => callback(null);
    });
    const target = join(scratch, `write-behind-${++counter}`);
    const extractor = new TarToDirectory(target, undefined, writeBehind);
    for (let at = 0; at < archive.length; at += 1024 * 1024)
      extractor.writeNow(archive.subarray(at, at + 1024 * 1024));
    assert.deepEqual(flushed, [join(target, 'base', '1', '16384')]);
    let ended = false;
    const ending = extractor.end().then(() => (ended = true));
    await new Promise(setImmediate);
    assert.equal(ended, false, 'end() returned while a flush of a written file still ran');
    finishFlush?.();
    await ending;
    assert.equal(statSync(join(target, 'base', '1', '16384')).size, size);
  });
});
