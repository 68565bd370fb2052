import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { walBytesInPartial } from '../../src/streaming/partial-extent.ts';
import { SegmentWriter, segmentStartOf } from '../../src/streaming/segment-writer.ts';
import { type Lsn, parseLsn } from '../../src/wal/lsn.ts';
import { toTimelineId } from '../../src/wal/timeline.ts';
import { toWalSegmentSize } from '../../src/wal/wal-segment-size.ts';
import { recordingLogger } from '../support/recording-logger.ts';

const MiB = 1024 * 1024;
const oneMiB = toWalSegmentSize(MiB);
const sixteenMiB = toWalSegmentSize(16 * MiB);
const tl1 = toTimelineId(1);
const tl2 = toTimelineId(2);
const tl3 = toTimelineId(3);

/** `length` bytes of a recognisable pattern, different for each `seed`. */
function pattern(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + seed) & 0xff;
  return bytes;
}

let root: string;
let counter = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'barkeep-segment-writer-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDirectory(): Promise<string> {
  const directory = join(root, String(++counter));
  await mkdir(directory);
  return directory;
}

const lsn = (segment: number, offset: number, size = MiB) => BigInt(segment * size + offset) as Lsn;

describe('SegmentWriter', () => {
  it('writes WAL at the offset its LSN gives, into <name>.partial', async () => {
    const directory = await freshDirectory();
    const writer = new SegmentWriter(directory, sixteenMiB, recordingLogger().logger);
    assert.equal(writer.currentPartial, undefined);
    await writer.write(tl1, parseLsn('0/3000000'), pattern(100, 1));
    await writer.write(tl1, parseLsn('0/3000064'), pattern(50, 2));
    assert.equal(writer.currentPartial, '000000010000000000000003.partial');
    await writer.flush();
    const bytes = await readFile(join(directory, '000000010000000000000003.partial'));
    assert.equal(bytes.length, sixteenMiB, 'zero-filled to the segment size');
    assert.ok(bytes.subarray(0, 100).equals(pattern(100, 1)));
    assert.ok(bytes.subarray(100, 150).equals(pattern(50, 2)));
    assert.ok(bytes.subarray(150).equals(Buffer.alloc(sixteenMiB - 150)));
    assert.equal(
      (await stat(join(directory, '000000010000000000000003.partial'))).mode & 0o777,
      0o600,
    );
    await writer.close();
    await writer.close();
    assert.equal(writer.currentPartial, undefined);
    assert.deepEqual(await readdir(directory), ['000000010000000000000003.partial']);
  });

  it('splits a write across segment boundaries and renames each completed segment', async () => {
    const directory = await freshDirectory();
    const { logger, lines } = recordingLogger();
    const writer = new SegmentWriter(directory, oneMiB, logger);
    const first = pattern(MiB * 0.75, 3);
    await writer.write(tl1, lsn(5, 0), first);
    const data = pattern(MiB * 1.5, 4);
    await writer.write(tl1, lsn(5, MiB * 0.75), data);
    assert.equal(writer.currentPartial, '000000010000000000000007.partial');
    await writer.close();
    assert.deepEqual((await readdir(directory)).sort(), [
      '000000010000000000000005',
      '000000010000000000000006',
      '000000010000000000000007.partial',
    ]);
    const five = await readFile(join(directory, '000000010000000000000005'));
    const six = await readFile(join(directory, '000000010000000000000006'));
    const seven = await readFile(join(directory, '000000010000000000000007.partial'));
    assert.equal(five.length, MiB);
    assert.equal(six.length, MiB);
    assert.equal(seven.length, MiB);
    const received = Buffer.concat([first, data]);
    assert.ok(Buffer.concat([five, six, seven]).subarray(0, received.length).equals(received));
    assert.ok(seven.subarray(MiB * 0.25).equals(Buffer.alloc(MiB * 0.75)));
    assert.deepEqual(
      lines.filter((line) => line.level === 'debug').map((line) => line.message),
      ['completed 000000010000000000000005', 'completed 000000010000000000000006'],
    );
    assert.equal(lines.filter((line) => line.level === 'warning').length, 0);
  });

  it('names segments past the first xlog id as PostgreSQL does for the segment size', async () => {
    const directory = await freshDirectory();
    const writer = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    // Segment 0x1000 is the first of xlog id 1 with 1 MiB segments (4096 per id).
    await writer.write(tl2, lsn(0x1000, 0), pattern(10, 5));
    assert.equal(writer.currentPartial, '000000020000000100000000.partial');
    await writer.close();
  });

  it('completes a segment exactly at its end and starts no .partial after it', async () => {
    const directory = await freshDirectory();
    const writer = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    await writer.write(tl1, lsn(2, 0), pattern(MiB, 6));
    assert.equal(writer.currentPartial, undefined);
    await writer.flush(); // nothing open: nothing to do
    await writer.close();
    assert.deepEqual(await readdir(directory), ['000000010000000000000002']);
  });

  it('rewrites an existing .partial in place, keeping what lies beyond the write', async () => {
    const directory = await freshDirectory();
    const path = join(directory, '000000010000000000000004.partial');
    await writeFile(path, pattern(4096, 7));
    const { logger, lines } = recordingLogger();
    const writer = new SegmentWriter(directory, oneMiB, logger);
    // A restart streams the segment again from its start: the same bytes, rewritten.
    await writer.write(tl1, lsn(4, 0), pattern(1000, 8));
    await writer.close();
    const bytes = await readFile(path);
    assert.equal(bytes.length, MiB);
    assert.ok(bytes.subarray(0, 1000).equals(pattern(1000, 8)));
    assert.ok(bytes.subarray(1000, 4096).equals(pattern(4096, 7).subarray(1000)));
    assert.ok(bytes.subarray(4096).equals(Buffer.alloc(MiB - 4096)));
    // Reopening at an offset does not seed anything: the file existed.
    const again = new SegmentWriter(directory, oneMiB, logger);
    await again.write(tl1, lsn(4, 2000), pattern(10, 9));
    await again.close();
    assert.ok((await readFile(path)).subarray(0, 1000).equals(pattern(1000, 8)));
    assert.deepEqual(lines, []);
  });

  it("seeds a new timeline's first segment from the earlier timeline's copy up to the switch", async () => {
    const directory = await freshDirectory();
    const old = pattern(MiB, 10);
    await writeFile(join(directory, '000000010000000000000009'), old);
    const { logger, lines } = recordingLogger();
    const writer = new SegmentWriter(directory, oneMiB, logger);
    const after = pattern(500, 11);
    await writer.write(tl2, lsn(9, 3000), after);
    await writer.close();
    const seeded = await readFile(join(directory, '000000020000000000000009.partial'));
    assert.equal(seeded.length, MiB);
    assert.ok(seeded.subarray(0, 3000).equals(old.subarray(0, 3000)));
    assert.ok(seeded.subarray(3000, 3500).equals(after));
    assert.equal(
      await walBytesInPartial(join(directory, '000000020000000000000009.partial')),
      3500,
    );
    assert.deepEqual(lines, [
      {
        level: 'info',
        message:
          '000000020000000000000009: started from 000000010000000000000009 up to the timeline switch at offset 3000',
      },
    ]);
  });

  it('seeds from the newest earlier timeline, a .partial included, never a later one', async () => {
    const directory = await freshDirectory();
    await writeFile(join(directory, '000000010000000000000009'), pattern(MiB, 12));
    await writeFile(join(directory, '000000020000000000000009.partial'), pattern(2000, 13));
    await writeFile(join(directory, '000000040000000000000009'), pattern(MiB, 14));
    await writeFile(join(directory, '00000003000000000000000A.partial'), pattern(10, 15));
    await writeFile(join(directory, '00000002.history'), '1\t0/9000000\tno recovery target\n');
    const { logger, lines } = recordingLogger();
    const writer = new SegmentWriter(directory, oneMiB, logger);
    await writer.write(tl3, lsn(9, 3000), pattern(10, 16));
    await writer.close();
    const seeded = await readFile(join(directory, '000000030000000000000009.partial'));
    // The timeline-2 copy holds only 2000 bytes: what is beyond stays zero.
    assert.ok(seeded.subarray(0, 2000).equals(pattern(2000, 13)));
    assert.ok(seeded.subarray(2000, 3000).equals(Buffer.alloc(1000)));
    assert.match(lines[0]!.message, /started from 000000020000000000000009\.partial/);
  });

  it('warns when no earlier timeline holds the segment, and leaves its first bytes zero', async () => {
    const directory = await freshDirectory();
    await writeFile(join(directory, '000000010000000000000008'), pattern(MiB, 17));
    const { logger, lines } = recordingLogger();
    const writer = new SegmentWriter(directory, oneMiB, logger);
    await writer.write(tl2, lsn(9, 100), pattern(10, 18));
    await writer.close();
    const bytes = await readFile(join(directory, '000000020000000000000009.partial'));
    assert.ok(bytes.subarray(0, 100).equals(Buffer.alloc(100)));
    assert.deepEqual(lines, [
      {
        level: 'warning',
        message: `000000020000000000000009: the segment starts at offset 100 and no earlier timeline's copy is in ${directory}; its first bytes stay zero`,
      },
    ]);
  });

  it('moves to the next timeline file when the timeline changes mid-segment', async () => {
    const directory = await freshDirectory();
    const { logger } = recordingLogger();
    const writer = new SegmentWriter(directory, oneMiB, logger);
    await writer.write(tl1, lsn(3, 0), pattern(5000, 19));
    await writer.write(tl2, lsn(3, 5000), pattern(100, 20));
    assert.equal(writer.currentPartial, '000000020000000000000003.partial');
    await writer.close();
    const tl2Bytes = await readFile(join(directory, '000000020000000000000003.partial'));
    assert.ok(tl2Bytes.subarray(0, 5000).equals(pattern(5000, 19)));
    assert.ok(tl2Bytes.subarray(5000, 5100).equals(pattern(100, 20)));
    const tl1Bytes = await readFile(join(directory, '000000010000000000000003.partial'));
    assert.ok(tl1Bytes.subarray(0, 5000).equals(pattern(5000, 19)));
    assert.ok(tl1Bytes.subarray(5000).equals(Buffer.alloc(oneMiB - 5000)));
  });

  it('zero-fills a new .partial to the segment size, and pads a shorter one it resumes', async () => {
    const directory = await freshDirectory();
    const writer = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    await writer.write(tl1, lsn(4, 0), pattern(300, 25));
    const path = join(directory, '000000010000000000000004.partial');
    assert.equal((await stat(path)).size, oneMiB);
    await writer.write(tl1, lsn(4, 300), pattern(200, 26));
    assert.equal((await stat(path)).size, oneMiB, 'the size does not change as WAL arrives');
    await writer.close();
    assert.equal(await walBytesInPartial(path), 500);
    // A .partial that grew with the WAL (an earlier barkeep) is padded when streamed into again.
    const short = join(directory, '000000010000000000000005.partial');
    await writeFile(short, pattern(700, 27));
    const resumed = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    await resumed.write(tl1, lsn(5, 0), pattern(100, 28));
    await resumed.close();
    const bytes = await readFile(short);
    assert.equal(bytes.length, oneMiB);
    assert.ok(bytes.subarray(0, 100).equals(pattern(100, 28)));
    assert.ok(bytes.subarray(100, 700).equals(pattern(700, 27).subarray(100)));
    assert.equal(await walBytesInPartial(short), 700);
  });

  it('writeNow() writes a run of pieces inside the open .partial in one call; fitsOpenSegment() says when it may', async () => {
    const directory = await freshDirectory();
    const writer = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    assert.equal(writer.fitsOpenSegment(tl1, lsn(6, 0), 10), false, 'nothing open yet');
    await writer.write(tl1, lsn(6, 0), pattern(100, 29));
    assert.equal(writer.fitsOpenSegment(tl1, lsn(6, 100), 300), true);
    assert.equal(writer.fitsOpenSegment(tl2, lsn(6, 100), 300), false, 'another timeline');
    assert.equal(writer.fitsOpenSegment(tl1, lsn(7, 0), 300), false, 'another segment');
    assert.equal(writer.fitsOpenSegment(tl1, lsn(6, 100), MiB - 100), false, 'reaches the end');
    const pieces = [pattern(100, 30), pattern(1, 31), pattern(199, 32)];
    writer.writeNow(tl1, lsn(6, 100), pieces, 300);
    writer.writeNow(tl1, lsn(6, 400), [pattern(50, 33)], 50);
    assert.equal(writer.flushNow(), true);
    assert.throws(() => writer.writeNow(tl1, lsn(6, MiB - 10), [pattern(10, 34)], 10));
    await writer.close();
    const bytes = await readFile(join(directory, '000000010000000000000006.partial'));
    assert.ok(
      bytes.subarray(0, 450).equals(Buffer.concat([pattern(100, 29), ...pieces, pattern(50, 33)])),
    );
    assert.equal(writer.flushNow(), true, 'nothing open: nothing to flush');
  });

  it('prepares the next segment in the background and renames it into place at the switch', async () => {
    const directory = await freshDirectory();
    const stale = join(directory, '.00000001000000000000000F.partial.prepared');
    await writeFile(stale, 'left by a killed receiver');
    const writer = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    await writer.write(tl1, lsn(6, 0), pattern(1000, 35));
    const prepared = join(directory, '.000000010000000000000007.partial.prepared');
    for (let i = 0; i < 200 && (await stat(prepared).catch(() => undefined))?.size !== MiB; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal((await stat(prepared)).size, MiB, 'zero-filled to the segment size');
    assert.equal(await stat(stale).catch(() => 'gone'), 'gone', 'a stale prepared file is removed');
    const prepinode = (await stat(prepared)).ino;
    await writer.write(tl1, lsn(6, 1000), pattern(MiB - 1000 + 300, 36));
    const seven = join(directory, '000000010000000000000007.partial');
    assert.equal((await stat(seven)).ino, prepinode, 'the prepared file became the .partial');
    await writer.close();
    const bytes = await readFile(seven);
    assert.ok(bytes.subarray(0, 300).equals(pattern(MiB - 1000 + 300, 36).subarray(MiB - 1000)));
    assert.ok(bytes.subarray(300).equals(Buffer.alloc(MiB - 300)));
    assert.deepEqual((await readdir(directory)).sort(), [
      '000000010000000000000006',
      '000000010000000000000007.partial',
    ]);
  });

  it('flush() waits for the fsync of a segment a concurrent write is completing', async () => {
    const directory = await freshDirectory();
    const writer = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    await writer.write(tl1, lsn(1, 0), pattern(1000, 24));
    // Slow fsyncs, as on a busy disk, and a record of which file each one finished for.
    const probe = await open(join(directory, '000000010000000000000001.partial'), 'r');
    const prototype = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const datasync = prototype.datasync;
    // Which file each fsync was for (the next segment is prepared and fsynced meanwhile too).
    const synced: string[] = [];
    prototype.datasync = async function (this: FileHandle) {
      const path = readlinkSync(`/proc/self/fd/${this.fd}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await datasync.call(this);
      synced.push(path);
    };
    try {
      // The rest of segment 1 arrives; while its fsync runs, a flush position is wanted.
      const completing = writer.write(tl1, lsn(1, 1000), pattern(MiB - 1000, 25));
      while (writer.currentPartial !== undefined) await new Promise(setImmediate);
      assert.equal(
        writer.flushNow(),
        false,
        'flushNow() cannot promise it while segment 1 settles',
      );
      await writer.flush();
      // The first 1000 bytes, written before, are only durable once segment 1 is fsynced.
      assert.deepEqual(
        synced.filter((path) => path.endsWith('/000000010000000000000001.partial')),
        [join(directory, '000000010000000000000001.partial')],
        'flush() returned before segment 1 was fsynced',
      );
      await completing;
    } finally {
      prototype.datasync = datasync;
    }
    await writer.close();
    assert.deepEqual(await readdir(directory), ['000000010000000000000001']);
  });

  it('reports a missing directory as an io error naming the .partial', async () => {
    const directory = join(root, 'missing');
    const writer = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    await assert.rejects(writer.write(tl1, lsn(1, 0), pattern(10, 21)), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot create streamed WAL');
      assert.equal(error.subject, join(directory, '000000010000000000000001.partial'));
      assert.equal(error.why, 'no such file or directory');
      return true;
    });
  });

  it('reports a .partial it cannot open', async () => {
    const directory = await freshDirectory();
    await mkdir(join(directory, '000000010000000000000001.partial'));
    const writer = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    await assert.rejects(writer.write(tl1, lsn(1, 0), pattern(10, 22)), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot open streamed WAL');
      assert.equal(error.why, 'it is a directory');
      return true;
    });
  });

  it('reports a completed segment it cannot rename', async () => {
    const directory = await freshDirectory();
    // Something that is not a segment sits where the completed segment must go.
    await mkdir(join(directory, '000000010000000000000001'));
    await writeFile(join(directory, '000000010000000000000001', 'x'), '');
    const writer = new SegmentWriter(directory, oneMiB, recordingLogger().logger);
    await assert.rejects(writer.write(tl1, lsn(1, 0), pattern(MiB, 23)), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot complete streamed segment');
      assert.equal(error.subject, join(directory, '000000010000000000000001'));
      return true;
    });
    assert.equal(writer.currentPartial, undefined);
  });
});

describe('segmentStartOf', () => {
  it('is the first byte of the segment holding the LSN', () => {
    assert.equal(segmentStartOf(parseLsn('0/3ABCDEF'), sixteenMiB), parseLsn('0/3000000'));
    assert.equal(segmentStartOf(parseLsn('0/3000000'), sixteenMiB), parseLsn('0/3000000'));
    assert.equal(segmentStartOf(parseLsn('1/00FFFFF'), oneMiB), parseLsn('1/0'));
    assert.equal(
      segmentStartOf(parseLsn('FFFFFFFF/FFFFFFFF'), oneMiB),
      parseLsn('FFFFFFFF/FFF00000'),
    );
  });
});
