import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { findStreamingStart } from '../../src/streaming/streaming-start.ts';
import { parseLsn } from '../../src/wal/lsn.ts';
import { toTimelineId } from '../../src/wal/timeline.ts';
import { toWalSegmentSize } from '../../src/wal/wal-segment-size.ts';

const oneMiB = toWalSegmentSize(1024 * 1024);
const sixteenMiB = toWalSegmentSize(16 * 1024 * 1024);

let root: string;
let counter = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'barkeep-streaming-start-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A streaming directory holding empty files with these names. */
async function directoryWith(...names: string[]): Promise<string> {
  const directory = join(root, String(++counter));
  await mkdir(directory);
  for (const name of names) await writeFile(join(directory, name), '');
  return directory;
}

describe('findStreamingStart', () => {
  it('finds nothing in a missing or empty directory, or one without WAL', async () => {
    assert.equal(await findStreamingStart(join(root, 'missing'), sixteenMiB), undefined);
    assert.equal(await findStreamingStart(await directoryWith(), sixteenMiB), undefined);
    const other = await directoryWith(
      '00000002.history',
      'notes.txt',
      '000000010000000000000003.tmp',
    );
    assert.equal(await findStreamingStart(other, sixteenMiB), undefined);
  });

  it('restarts the newest .partial from its start', async () => {
    const directory = await directoryWith(
      '000000010000000000000002',
      '000000010000000000000003.partial',
    );
    assert.deepEqual(await findStreamingStart(directory, sixteenMiB), {
      timeline: toTimelineId(1),
      lsn: parseLsn('0/3000000'),
      from: 'partial',
      file: '000000010000000000000003.partial',
    });
  });

  it('follows the newest complete segment with the next one', async () => {
    const directory = await directoryWith(
      '0000000100000000000000FE',
      '0000000100000000000000FF',
      '00000001000000000000000A.partial',
    );
    // 0/FF is the last segment of xlog id 0 with 16 MiB segments: the next is 1/0.
    assert.deepEqual(await findStreamingStart(directory, sixteenMiB), {
      timeline: toTimelineId(1),
      lsn: parseLsn('1/0'),
      from: 'segment',
      file: '0000000100000000000000FF',
    });
  });

  it('prefers the complete segment when a .partial of the same segment is left over', async () => {
    const directory = await directoryWith(
      '000000010000000000000005.partial',
      '000000010000000000000005',
    );
    const start = await findStreamingStart(directory, sixteenMiB);
    assert.equal(start?.from, 'segment');
    assert.equal(start?.lsn, parseLsn('0/6000000'));
  });

  it('compares segment numbers first, then timelines', async () => {
    const newerSegment = await directoryWith(
      '000000020000000000000004',
      '000000010000000000000005.partial',
    );
    assert.deepEqual(await findStreamingStart(newerSegment, sixteenMiB), {
      timeline: toTimelineId(1),
      lsn: parseLsn('0/5000000'),
      from: 'partial',
      file: '000000010000000000000005.partial',
    });
    const newerTimeline = await directoryWith(
      '000000010000000000000005',
      '000000020000000000000005.partial',
      '00000002.history',
    );
    assert.deepEqual(await findStreamingStart(newerTimeline, sixteenMiB), {
      timeline: toTimelineId(2),
      lsn: parseLsn('0/5000000'),
      from: 'partial',
      file: '000000020000000000000005.partial',
    });
    const hexTimelines = await directoryWith(
      '0000000A0000000000000005.partial',
      '000000090000000000000005',
    );
    assert.equal((await findStreamingStart(hexTimelines, sixteenMiB))?.timeline, 10);
  });

  it('ignores names that cannot exist for the segment size', async () => {
    // With 16 MiB segments the last 8 digits stop at 000000FF; with 1 MiB ones at 00000FFF.
    const directory = await directoryWith(
      '000000010000000000000100',
      '000000010000000000000FFF.partial',
      '000000000000000000000009',
      '000000010000000000000003',
    );
    assert.deepEqual(await findStreamingStart(directory, sixteenMiB), {
      timeline: toTimelineId(1),
      lsn: parseLsn('0/4000000'),
      from: 'segment',
      file: '000000010000000000000003',
    });
    assert.deepEqual(await findStreamingStart(directory, oneMiB), {
      timeline: toTimelineId(1),
      lsn: parseLsn('0/FFF00000'),
      from: 'partial',
      file: '000000010000000000000FFF.partial',
    });
  });

  it('ignores lower-case and suffixed names', async () => {
    const directory = await directoryWith(
      '00000001000000000000000a',
      '000000010000000000000009.partial.tmp',
      '000000010000000000000002',
    );
    assert.equal(
      (await findStreamingStart(directory, sixteenMiB))?.file,
      '000000010000000000000002',
    );
  });

  it('reports a streaming path it cannot list', async () => {
    const file = join(await directoryWith('not-a-directory'), 'not-a-directory');
    await assert.rejects(findStreamingStart(file, sixteenMiB), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot list streaming directory');
      assert.equal(error.subject, file);
      return true;
    });
  });
});
