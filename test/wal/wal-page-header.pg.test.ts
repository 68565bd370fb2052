// Checks the WAL primitives against WAL written by real PostgreSQL servers, one throwaway cluster
// per available major (plus one with 1 MiB segments): the page header layout, the magic of each
// major, the segment naming of pg_walfile_name(), and the files a promotion leaves in pg_wal.
import assert from 'node:assert/strict';
import { chownSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { formatLsn, type Lsn, parseLsn } from '../../src/wal/lsn.ts';
import { segmentName } from '../../src/wal/segment-name.ts';
import type { TimelineId } from '../../src/wal/timeline.ts';
import { parseTimelineHistory } from '../../src/wal/timeline-history.ts';
import { timelineForSegment } from '../../src/wal/timeline-ranges.ts';
import { validateWalFile } from '../../src/wal/validate-wal-file.ts';
import { parseWalFileName } from '../../src/wal/wal-file-name.ts';
import { walMagicMajor } from '../../src/wal/wal-magic.ts';
import { readWalPageHeader, XLP_LONG_HEADER } from '../../src/wal/wal-page-header.ts';
import {
  segmentBeforeLsn,
  segmentOffsetOfLsn,
  segmentOfLsn,
  segmentStartLsn,
} from '../../src/wal/wal-segment.ts';
import { toWalSegmentSize, type WalSegmentSize } from '../../src/wal/wal-segment-size.ts';
import {
  availableMajors,
  lookupOsUser,
  smokeVersions,
  startThrowawayCluster,
  type ThrowawayCluster,
} from '../support/cluster.ts';
import { bytesOf, readStart } from './fixtures/read-wal.ts';

/** XLOG_PAGE_MAGIC as observed in WAL of each major, pinned independently of src/wal. */
const OBSERVED_MAGIC: Readonly<Record<number, number>> = {
  14: 0xd10d,
  15: 0xd110,
  16: 0xd113,
  17: 0xd116,
  18: 0xd118,
};

const majors = process.env['PG_TEST_VERSIONS'] ? smokeVersions() : availableMajors();
const smallSegmentMajor = majors.at(-1);

interface Setup {
  readonly label: string;
  readonly major: number;
  readonly initdbArgs: readonly string[];
  readonly expectedSegmentSize: number;
}

const setups: Setup[] = [
  ...majors.map((major) => ({
    label: `PostgreSQL ${major}`,
    major,
    initdbArgs: [],
    expectedSegmentSize: 16 * 1024 * 1024,
  })),
  ...(smallSegmentMajor === undefined
    ? []
    : [
        {
          label: `PostgreSQL ${smallSegmentMajor} with 1 MiB segments`,
          major: smallSegmentMajor,
          initdbArgs: ['--wal-segsize=1'],
          expectedSegmentSize: 1024 * 1024,
        },
      ]),
];

const clusters = new Map<string, ThrowawayCluster>();

before(async () => {
  const started = await Promise.allSettled(
    setups.map(async (setup) => {
      const cluster = await startThrowawayCluster({
        major: setup.major,
        label: `walhdr-${setup.major}${setup.initdbArgs.length > 0 ? '-1m' : ''}`,
        initdbArgs: setup.initdbArgs,
        // archive_mode makes the promotion below leave the old timeline's last segment as .partial.
        settings: { archive_mode: 'on', archive_command: '/bin/true' },
      });
      clusters.set(setup.label, cluster);
    }),
  );
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
});

after(async () => {
  await Promise.all([...clusters.values()].map((cluster) => cluster.stop()));
});

for (const setup of setups) {
  describe(`WAL of ${setup.label}`, () => {
    const cluster = () => clusters.get(setup.label)!;
    let segmentSize: WalSegmentSize;
    let systemIdentifier: string;

    it('has the segment size and block size it was created with', async () => {
      const [show] = await cluster().query<{ wal_segment_size: string }>('SHOW wal_segment_size');
      segmentSize = toWalSegmentSize(bytesOf(show!.wal_segment_size));
      assert.equal(segmentSize, setup.expectedSegmentSize);
      const [control] = await cluster().query<{ sysid: string; block: number }>(
        'SELECT s.system_identifier::text AS sysid, i.wal_block_size AS block FROM pg_control_system() s, pg_control_init() i',
      );
      systemIdentifier = control!.sysid;
      assert.equal(control!.block, 8192);
    });

    it('writes a first page header that matches the completed segment', async () => {
      await cluster().query(
        'CREATE TABLE filler AS SELECT n, md5(n::text) AS t FROM generate_series(1, 5000) n',
      );
      const [switched] = await cluster().query<{ lsn: string; file: string }>(
        'SELECT lsn::text AS lsn, pg_walfile_name(lsn) AS file FROM pg_switch_wal() AS lsn',
      );
      const switchLsn = parseLsn(switched!.lsn);
      const segno = segmentBeforeLsn(switchLsn, segmentSize);
      const name = segmentName(1 as TimelineId, segno, segmentSize);
      assert.equal(name, switched!.file);

      const path = join(cluster().dataDir, 'pg_wal', name);
      const firstPage = await readStart(path, 8192);
      const header = readWalPageHeader(firstPage);
      assert.equal(
        header.magic,
        OBSERVED_MAGIC[setup.major],
        `magic 0x${header.magic.toString(16)}`,
      );
      assert.equal(walMagicMajor(header.magic), setup.major);
      assert.equal(header.info & XLP_LONG_HEADER, XLP_LONG_HEADER);
      assert.equal(header.isLongHeader, true);
      assert.ok(header.isLongHeader);
      assert.equal(header.timeline, 1);
      assert.equal(formatLsn(header.pageAddress), formatLsn(segmentStartLsn(segno, segmentSize)));
      assert.equal(header.systemIdentifier, systemIdentifier);
      assert.equal(header.segmentSize, segmentSize);
      assert.equal(header.blockSize, 8192);

      const { size } = await stat(path);
      const verdict = validateWalFile(parseWalFileName(name)!, firstPage, size, {
        systemIdentifier,
        segmentSize,
      });
      assert.deepEqual(verdict, {
        ok: true,
        facts: {
          kind: 'segment',
          segno,
          segmentSize,
          blockSize: 8192,
          major: setup.major,
          magic: header.magic,
          systemIdentifier,
          headerTimeline: 1,
        },
      });
      const foreign = validateWalFile(parseWalFileName(name)!, firstPage, size, {
        systemIdentifier: '1',
      });
      assert.equal(!foreign.ok && foreign.foreign, true);
    });

    it('names segments as pg_walfile_name() does, far beyond the first xlog id', async () => {
      const lsns = [
        '0/1',
        '0/FFFFF',
        '0/100000',
        '0/100001',
        '0/1000000',
        '0/1000001',
        '0/FFFFFFFF',
      ];
      lsns.push('1/0', '1/1', '16/B374D848', '7F/FFF00001', 'FFFFFFFF/FFFFFFFF');
      const select = lsns
        .map(
          (lsn, i) =>
            `pg_walfile_name('${lsn}') AS n${i}, (pg_walfile_name_offset('${lsn}')).file_name AS f${i}, ` +
            `(pg_walfile_name_offset('${lsn}')).file_offset AS o${i}`,
        )
        .join(', ');
      const [row] = await cluster().query<Record<string, string | number>>(`SELECT ${select}`);
      lsns.forEach((text, i) => {
        const lsn: Lsn = parseLsn(text);
        // Up to 16 both functions name the segment holding the byte before the LSN
        // (XLByteToPrevSeg); since 17 they name the LSN's own segment (XLByteToSeg).
        const segno =
          setup.major >= 17 ? segmentOfLsn(lsn, segmentSize) : segmentBeforeLsn(lsn, segmentSize);
        const expected = segmentName(1 as TimelineId, segno, segmentSize);
        assert.equal(expected, row![`n${i}`], `pg_walfile_name('${text}')`);
        assert.equal(expected, row![`f${i}`], `pg_walfile_name_offset('${text}')`);
        assert.equal(
          segmentOffsetOfLsn(lsn, segmentSize),
          Number(row![`o${i}`]),
          `offset of ${text}`,
        );
      });
    });

    it('leaves a history file, a .partial and a new-timeline segment that validate after a promotion', async () => {
      const c = cluster();
      const signal = join(c.dataDir, 'standby.signal');
      writeFileSync(signal, '');
      if (process.getuid?.() === 0) {
        const account = lookupOsUser(c.osUser);
        chownSync(signal, account.uid, account.gid);
      }
      await c.restart();
      await c.query('SELECT pg_promote(true, 60)');
      const [state] = await c.query<{ tli: number }>(
        'SELECT timeline_id AS tli FROM pg_control_checkpoint()',
      );
      assert.equal(state!.tli, 2);

      const historyBytes = await readFile(join(c.dataDir, 'pg_wal', '00000002.history'));
      const history = validateWalFile(
        parseWalFileName('00000002.history')!,
        historyBytes,
        historyBytes.length,
      );
      assert.ok(history.ok && history.facts.kind === 'history', inspect(history));
      const entries = parseTimelineHistory(historyBytes.toString('utf8'));
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.parent, 1);
      const switchLsn = entries[0]!.switchLsn;

      // The new timeline's first segment is a copy of the old one up to the switch point.
      const segno = segmentOfLsn(switchLsn, segmentSize);
      assert.equal(timelineForSegment(entries, 2 as TimelineId, segno, segmentSize), 2);
      const newName = segmentName(2 as TimelineId, segno, segmentSize);
      const newPath = join(c.dataDir, 'pg_wal', newName);
      const newHeader = await readStart(newPath, 8192);
      const copied = validateWalFile(
        parseWalFileName(newName)!,
        newHeader,
        (await stat(newPath)).size,
        {
          systemIdentifier,
        },
      );
      assert.ok(copied.ok && copied.facts.kind === 'segment', inspect(copied));
      // The end of recovery follows the shutdown checkpoint, inside a segment: the first page of
      // the new timeline's file is the old timeline's, so its header names timeline 1.
      assert.ok(segmentOffsetOfLsn(switchLsn, segmentSize) > 0);
      assert.equal(copied.facts.headerTimeline, 1);

      const partialName = `${segmentName(1 as TimelineId, segno, segmentSize)}.partial`;
      const partialPath = join(c.dataDir, 'pg_wal', partialName);
      const partial = validateWalFile(
        parseWalFileName(partialName)!,
        await readStart(partialPath, 8192),
        (await stat(partialPath)).size,
        { systemIdentifier, segmentSize },
      );
      assert.ok(partial.ok && partial.facts.kind === 'partial', inspect(partial));
      assert.equal(partial.facts.headerTimeline, 1);
    });
  });
}
