import { compressionFormatOf } from './compression-signature.ts';
import { formatLsn } from './lsn.ts';
import { parseSegmentName } from './segment-name.ts';
import type { TimelineId } from './timeline.ts';
import {
  type BackupHistoryFacts,
  type TimelineHistoryFacts,
  validateBackupHistoryFile,
  validateTimelineHistoryFile,
} from './validate-history-files.ts';
import type { PartialSegmentFileName, SegmentFileName, WalFileName } from './wal-file-name.ts';
import { rejectWalFile, type WalFileCheck } from './wal-file-verdict.ts';
import { isWalFormatError } from './wal-format-error.ts';
import { formatWalMagic, walMagicMajor } from './wal-magic.ts';
import { LONG_PAGE_HEADER_SIZE, readWalPageHeader } from './wal-page-header.ts';
import { type SegmentNumber, segmentStartLsn } from './wal-segment.ts';
import { isValidWalSegmentSize, type WalSegmentSize } from './wal-segment-size.ts';

export type { BackupHistoryFacts, TimelineHistoryFacts } from './validate-history-files.ts';
export type { WalFileRejection } from './wal-file-verdict.ts';

/** What the caller knows about the server the file should come from; each check is optional. */
export interface WalFileExpectations {
  /** The server's `system_identifier` in decimal; segments from another cluster are refused. */
  readonly systemIdentifier?: string;
  /** The server's segment size; segments (and backup history names) must agree with it. */
  readonly segmentSize?: WalSegmentSize;
}

/** What a valid segment or partial segment says about itself in its first page header. */
export interface SegmentFileFacts {
  readonly kind: 'segment' | 'partial';
  readonly segno: SegmentNumber;
  /** From the header (`xlp_seg_size`). */
  readonly segmentSize: WalSegmentSize;
  /** WAL page size from the header (`xlp_xlog_blcksz`), normally 8192. */
  readonly blockSize: number;
  /** The PostgreSQL major that wrote it, from its magic (see `walMagicMajor`). */
  readonly major: number;
  readonly magic: number;
  /** The cluster's `system_identifier`, in decimal. */
  readonly systemIdentifier: string;
  /** The timeline in the header: the name's, or an older one for a new timeline's first segment. */
  readonly headerTimeline: TimelineId;
}

/** The facts of a valid file, by kind. */
export type WalFileFacts = SegmentFileFacts | TimelineHistoryFacts | BackupHistoryFacts;

/** The outcome of {@link validateWalFile}: facts when valid, else every problem found. */
export type WalFileVerdict = WalFileCheck<WalFileFacts>;

const MIN_BLOCK_SIZE = 1024;
const MAX_BLOCK_SIZE = 65536;

/**
 * The check put-wal and archive-wal run on a file's bytes before storing it, so that the archive
 * never holds a file that PostgreSQL would reject at restore time (a compressed or truncated
 * file, another cluster's WAL, a file renamed to the wrong segment). Pure: the caller reads the
 * file. Give segments at least their first 40 bytes and their real size; give history and
 * backup history files whole.
 *
 * A segment is valid when its first page has a known magic and the long header; the size in the
 * header is a power of two from 1 MiB to 1 GiB and (when expected) the server's; the file is
 * exactly that size; the name exists for that size; the page address is the start of the
 * segment the name designates; the system identifier is the server's (when expected); and the
 * header's timeline is at most the name's. Not necessarily equal: when a server is promoted, the
 * first segment of the new timeline starts as a copy of the old timeline's last segment up to the
 * switch point, so its first page carries the older timeline.
 *
 * A `.partial` segment obeys the same rules, except that its size may be anything from one WAL
 * page up to the segment size. A `.history` file must parse as a timeline history with at least
 * one entry, every parent older than the file's timeline. A `.backup` file must have `START WAL
 * LOCATION` and `STOP WAL LOCATION` lines that agree with its name: same segment, same offset.
 *
 * A refusal lists every problem found (see `WalFileRejection`), and flags `foreign` (another
 * cluster's system identifier) and `truncated` (shorter than it must be, so possibly still being
 * copied) so that the caller can pick its error kind and whether to retry.
 */
export function validateWalFile(
  file: WalFileName,
  bytes: Uint8Array,
  fileSize: number,
  expected: WalFileExpectations = {},
): WalFileVerdict {
  switch (file.kind) {
    case 'segment':
    case 'partial':
      return validateSegmentFile(file, bytes, fileSize, expected);
    case 'history':
      return validateTimelineHistoryFile(file, bytes, fileSize);
    case 'backup':
      return validateBackupHistoryFile(file, bytes, fileSize, expected.segmentSize);
  }
}

function validateSegmentFile(
  file: SegmentFileName | PartialSegmentFileName,
  bytes: Uint8Array,
  fileSize: number,
  expected: WalFileExpectations,
): WalFileVerdict {
  if (fileSize < LONG_PAGE_HEADER_SIZE) {
    return rejectWalFile(
      [
        `size ${fileSize} is too small for a WAL segment (its first page header is ${LONG_PAGE_HEADER_SIZE} bytes)`,
      ],
      { truncated: true },
    );
  }
  if (bytes.length < LONG_PAGE_HEADER_SIZE) {
    return rejectWalFile([
      `only ${bytes.length} bytes were given to check; the first ${LONG_PAGE_HEADER_SIZE} are needed`,
    ]);
  }
  const header = readWalPageHeader(bytes.subarray(0, LONG_PAGE_HEADER_SIZE));
  const major = walMagicMajor(header.magic);
  if (major === undefined) {
    const compressed = compressionFormatOf(bytes);
    const note = compressed === undefined ? '' : ` (the file is ${compressed}-compressed)`;
    return rejectWalFile([`not a WAL segment: bad magic ${formatWalMagic(header.magic)}${note}`]);
  }
  if (!header.isLongHeader) {
    return rejectWalFile([`the first page has no long header (xlp_info ${hex4(header.info)})`]);
  }

  const reasons: string[] = [];
  const { segmentSize, blockSize } = header;
  if (!isPowerOfTwoBetween(blockSize, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE)) {
    reasons.push(
      `block size ${blockSize} in the header is not a power of two between 1 kB and 64 kB`,
    );
  }
  if (expected.segmentSize !== undefined && segmentSize !== expected.segmentSize) {
    reasons.push(
      `segment size ${segmentSize} in the header is not this server's (${expected.segmentSize})`,
    );
  }
  let truncated = false;
  let segno: SegmentNumber | undefined;
  if (!isValidWalSegmentSize(segmentSize)) {
    reasons.push(
      `segment size ${segmentSize} in the header is not a power of two between 1 MiB and 1 GiB`,
    );
  } else {
    const sizeProblem = checkSize(file.kind, fileSize, segmentSize, blockSize);
    if (sizeProblem !== undefined) {
      reasons.push(sizeProblem.reason);
      truncated = sizeProblem.truncated;
    }
    try {
      segno = parseSegmentName(file.segment, segmentSize)?.segno;
    } catch (error) {
      if (!isWalFormatError(error)) throw error;
      reasons.push(error.reason);
    }
    if (segno !== undefined) {
      const start = segmentStartLsn(segno, segmentSize);
      if (header.pageAddress !== start) {
        reasons.push(
          `page address ${formatLsn(header.pageAddress)} does not match the name (expected ${formatLsn(start)})`,
        );
      }
    }
  }
  if (header.timeline === 0) {
    reasons.push('timeline 0 in the header is not a valid timeline');
  } else if (header.timeline > file.timeline) {
    reasons.push(
      `timeline ${header.timeline} in the header is later than timeline ${file.timeline} in the name`,
    );
  }
  const sysid = expected.systemIdentifier;
  const foreign = sysid !== undefined && header.systemIdentifier !== sysid;
  if (foreign) {
    reasons.push(`system identifier ${header.systemIdentifier} is not this server's (${sysid})`);
  }
  if (reasons.length > 0 || segno === undefined || !isValidWalSegmentSize(segmentSize)) {
    return rejectWalFile(reasons, { foreign, truncated });
  }
  return {
    ok: true,
    facts: {
      kind: file.kind,
      segno,
      segmentSize,
      blockSize,
      major,
      magic: header.magic,
      systemIdentifier: header.systemIdentifier,
      headerTimeline: header.timeline as TimelineId,
    },
  };
}

function checkSize(
  kind: 'segment' | 'partial',
  fileSize: number,
  segmentSize: WalSegmentSize,
  blockSize: number,
): { reason: string; truncated: boolean } | undefined {
  if (kind === 'segment') {
    if (fileSize === segmentSize) return undefined;
    return {
      reason: `size ${fileSize} differs from the segment size ${segmentSize} in its header`,
      truncated: fileSize < segmentSize,
    };
  }
  if (fileSize > segmentSize) {
    return {
      reason: `size ${fileSize} exceeds the segment size ${segmentSize} in its header`,
      truncated: false,
    };
  }
  if (fileSize < blockSize) {
    return {
      reason: `size ${fileSize} is smaller than one WAL page (${blockSize} bytes)`,
      truncated: true,
    };
  }
  return undefined;
}

function isPowerOfTwoBetween(value: number, min: number, max: number): boolean {
  return value >= min && value <= max && (value & (value - 1)) === 0;
}

function hex4(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}
