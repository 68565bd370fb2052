import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateWalFile, type WalFileVerdict } from '../../src/wal/validate-wal-file.ts';
import { parseWalFileName } from '../../src/wal/wal-file-name.ts';
import { toWalSegmentSize } from '../../src/wal/wal-segment-size.ts';
import { BACKUP_HISTORY, TIMELINE_3_HISTORY } from './fixtures/history-texts.ts';
import { MIB, segmentHeader } from './fixtures/wal-bytes.ts';

const SEG16 = 16 * MIB;

function check(
  name: string,
  bytes: Uint8Array,
  fileSize: number = bytes.length,
  expected: Parameters<typeof validateWalFile>[3] = undefined,
): WalFileVerdict {
  const parsed = parseWalFileName(name);
  assert.ok(parsed, `${name} is a WAL file name`);
  return validateWalFile(parsed, bytes, fileSize, expected);
}

function reasonsOf(verdict: WalFileVerdict): readonly string[] {
  assert.equal(verdict.ok, false, 'the file is refused');
  return verdict.ok ? [] : verdict.reasons;
}

function text(content: string): Buffer {
  return Buffer.from(content, 'utf8');
}

describe('validateWalFile: timeline history files', () => {
  it('accepts a history whose parents are older than its timeline', () => {
    const verdict = check('00000003.history', text(TIMELINE_3_HISTORY));
    assert.ok(verdict.ok && verdict.facts.kind === 'history');
    assert.deepEqual(
      verdict.facts.entries.map((entry) => entry.parent),
      [1, 2],
    );
    assert.equal(check('0000000A.history', text(TIMELINE_3_HISTORY)).ok, true);
  });

  it('refuses parents that are not older than the file', () => {
    assert.deepEqual(reasonsOf(check('00000002.history', text(TIMELINE_3_HISTORY))), [
      'parent timeline 2 is not older than timeline 2 of the file',
    ]);
    assert.deepEqual(reasonsOf(check('00000001.history', text('1\t0/3000158\tx\n'))), [
      'parent timeline 1 is not older than timeline 1 of the file',
    ]);
  });

  it('refuses empty, malformed, binary and partially given files', () => {
    assert.deepEqual(reasonsOf(check('00000002.history', text(''))), [
      'not a timeline history: it has no entries (PostgreSQL always writes the parent timeline)',
    ]);
    assert.deepEqual(reasonsOf(check('00000002.history', text('hello\n'))), [
      "not a timeline history: line 1 of the timeline history: expected a numeric timeline ID, found 'hello'",
    ]);
    assert.deepEqual(
      reasonsOf(check('00000002.history', Buffer.from('1f8b08000000000000ff', 'hex'))),
      ['not a text file (invalid UTF-8)'],
    );
    assert.deepEqual(
      reasonsOf(check('00000003.history', text(TIMELINE_3_HISTORY).subarray(0, 10), 200)),
      ['the whole file is needed for the check (got 10 of 200 bytes)'],
    );
  });
});

describe('validateWalFile: backup history files', () => {
  const NAME = '000000010000000000000002.00000028.backup';

  it('accepts a file consistent with its name, with or without the segment size', () => {
    const verdict = check(NAME, text(BACKUP_HISTORY));
    assert.ok(verdict.ok && verdict.facts.kind === 'backup');
    assert.equal(verdict.facts.backup.startLsn, 0x2000028n);
    assert.equal(
      check(NAME, text(BACKUP_HISTORY), undefined, { segmentSize: toWalSegmentSize(SEG16) }).ok,
      true,
    );
  });

  it('finds the segment size by itself (1 MiB)', () => {
    const content = BACKUP_HISTORY.replace(
      'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)',
      'START WAL LOCATION: 0/1000028 (file 000000010000000000000010)',
    ).replace('(file 000000010000000000000002)', '(file 000000010000000000000020)');
    assert.equal(check('000000010000000000000010.00000028.backup', text(content)).ok, true);
    assert.deepEqual(
      reasonsOf(
        check('000000010000000000000010.00000028.backup', text(content), undefined, {
          segmentSize: toWalSegmentSize(SEG16),
        }),
      ),
      ['START WAL LOCATION 0/1000028 is not in the segment it names, 000000010000000000000010'],
    );
  });

  it('refuses a name whose segment is not the start location', () => {
    assert.deepEqual(
      reasonsOf(check('000000010000000000000003.00000028.backup', text(BACKUP_HISTORY))),
      [
        'START WAL LOCATION 0/2000028 is in segment 000000010000000000000002, not in 000000010000000000000003 as the name says',
      ],
    );
  });

  it('refuses a name whose offset is not the start location', () => {
    assert.deepEqual(
      reasonsOf(check('000000010000000000000002.00000030.backup', text(BACKUP_HISTORY))),
      [
        'offset 00000030 in the name does not match START WAL LOCATION 0/2000028 (offset 00000028 in its segment)',
      ],
    );
  });

  it('refuses a name on another timeline than the stop timeline', () => {
    assert.deepEqual(
      reasonsOf(check('000000020000000000000002.00000028.backup', text(BACKUP_HISTORY))),
      ['timeline 2 in the name is not the STOP TIMELINE 1'],
    );
    const noTimelines = BACKUP_HISTORY.split('\n')
      .filter((line) => !line.includes('TIMELINE'))
      .join('\n')
      .replaceAll('(file 00000001', '(file 00000003');
    assert.deepEqual(
      reasonsOf(check('000000020000000000000002.00000028.backup', text(noTimelines))),
      ['timeline 2 in the name is older than the start timeline 3'],
    );
    assert.equal(check('000000030000000000000002.00000028.backup', text(noTimelines)).ok, true);
  });

  it('refuses a stop file that does not hold the stop location', () => {
    const content = BACKUP_HISTORY.replace(
      'STOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)',
      'STOP WAL LOCATION: 0/2000100 (file 000000010000000000000005)',
    );
    assert.deepEqual(reasonsOf(check(NAME, text(content))), [
      'STOP WAL LOCATION 0/2000100 is not in the segment it names, 000000010000000000000005',
    ]);
  });

  it('refuses what is not a backup history file', () => {
    assert.deepEqual(reasonsOf(check(NAME, text(''))), [
      "not a backup history file: no 'START WAL LOCATION:' line",
    ]);
    assert.deepEqual(reasonsOf(check(NAME, segmentHeader())), ['not a text file (invalid UTF-8)']);
  });
});
