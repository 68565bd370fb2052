import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLsn, type Lsn, parseLsn } from '../../src/wal/lsn.ts';
import type { TimelineId } from '../../src/wal/timeline.ts';
import {
  formatTimelineHistory,
  parseTimelineHistory,
  type TimelineHistoryEntry,
} from '../../src/wal/timeline-history.ts';
import { WalFormatError } from '../../src/wal/wal-format-error.ts';

function entry(
  parent: number,
  lsn: string,
  reason = 'no recovery target specified',
): TimelineHistoryEntry {
  return { parent: parent as TimelineId, switchLsn: parseLsn(lsn), reason };
}

// What PostgreSQL writes for timeline 3 after two promotions: the parent's file, a newline, then
// its own line.
const TIMELINE_3 =
  '1\t0/3000158\tno recovery target specified\n\n2\t0/5000060\tbefore 2024-05-01 10:00:00+00\n';

describe('parseTimelineHistory', () => {
  it("reads PostgreSQL's lines, oldest first", () => {
    assert.deepEqual(parseTimelineHistory(TIMELINE_3), [
      entry(1, '0/3000158'),
      entry(2, '0/5000060', 'before 2024-05-01 10:00:00+00'),
    ]);
  });

  it('reads the parent timeline in decimal, not hex', () => {
    const [first] = parseTimelineHistory('10\t1/0\tx\n');
    assert.equal(first!.parent, 10);
  });

  it('skips comments, blank lines and leading white space; accepts CRLF and spaces', () => {
    const text =
      '# made by hand\n\n   \n  1 0/3000158   no recovery target specified  \r\n\t# more\n2\t0/5000060\n';
    assert.deepEqual(parseTimelineHistory(text), [
      entry(1, '0/3000158'),
      entry(2, '0/5000060', ''),
    ]);
  });

  it('keeps reasons with spaces and tabs whole', () => {
    const [first] = parseTimelineHistory('1\t0/3000158\tat restore point "before\tupgrade"\n');
    assert.equal(first!.reason, 'at restore point "before\tupgrade"');
  });

  it('gives no entries for an empty file or one with only comments', () => {
    assert.deepEqual(parseTimelineHistory(''), []);
    assert.deepEqual(parseTimelineHistory('# nothing\n\n'), []);
  });

  it('accepts a line without a trailing newline and the largest timeline', () => {
    assert.deepEqual(parseTimelineHistory('4294967294\tFFFFFFFF/FFFFFFFF\tend'), [
      entry(4294967294, 'FFFFFFFF/FFFFFFFF', 'end'),
    ]);
  });

  it('allows two switches at the same location (a standby promoted right after a switch)', () => {
    assert.equal(parseTimelineHistory('1\t0/3000158\tx\n2\t0/3000158\ty\n').length, 2);
  });

  const refused: Array<[string, string, RegExp]> = [
    ['a non-numeric timeline', 'one\t0/3000158\tx\n', /line 1 .*expected a numeric timeline ID/],
    ['a hex timeline', '0A\t0/3000158\tx\n', /line 1 .*expected a numeric timeline ID/],
    ['a missing location', '1\n', /line 1 .*expected a switch-point location/],
    ['a malformed location', '1\t0-3000158\tx\n', /line 1 .*'0-3000158' is not a WAL location/],
    ['timeline 0', '0\t0/3000158\tx\n', /line 1 .*timeline 0 is not valid/],
    ['a timeline beyond 32 bits', '4294967296\t0/1\tx\n', /timeline 4294967296 is not valid/],
    [
      'repeated timelines',
      '1\t0/3000158\tx\n1\t0/4000000\ty\n',
      /line 2 .*timeline 1 follows timeline 1/,
    ],
    [
      'decreasing timelines',
      '# c\n2\t0/3000158\tx\n1\t0/4000000\ty\n',
      /line 3 .*timeline 1 follows timeline 2/,
    ],
    [
      'decreasing locations',
      '1\t0/5000000\tx\n2\t0/4000000\ty\n',
      /line 2 .*switch point 0\/4000000 is before the previous one, 0\/5000000/,
    ],
    ['binary garbage', '\u001f\u008b\u0008\u0000', /expected a numeric timeline ID/],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => parseTimelineHistory(text),
        (error: unknown) => error instanceof WalFormatError && message.test(error.reason),
      );
    });
  }
});

describe('formatTimelineHistory', () => {
  it('writes what PostgreSQL writes, byte for byte', () => {
    const entries = parseTimelineHistory(TIMELINE_3);
    assert.equal(formatTimelineHistory(entries), TIMELINE_3);
    assert.equal(
      formatTimelineHistory([entry(1, '0/3000158')]),
      '1\t0/3000158\tno recovery target specified\n',
    );
    assert.equal(formatTimelineHistory([]), '');
  });

  it('round-trips through parseTimelineHistory', () => {
    const entries = [entry(1, '0/3000158'), entry(3, '1/0', ''), entry(7, 'FF/FFFFFFFF', 'at lsn')];
    assert.deepEqual(parseTimelineHistory(formatTimelineHistory(entries)), entries);
    assert.equal(formatLsn(entries[2]!.switchLsn as Lsn), 'FF/FFFFFFFF');
  });
});
