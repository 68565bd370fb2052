import { readdir } from 'node:fs/promises';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { Lsn } from '../wal/lsn.ts';
import { parseSegmentName } from '../wal/segment-name.ts';
import type { TimelineId } from '../wal/timeline.ts';
import { nextSegment, segmentStartLsn } from '../wal/wal-segment.ts';
import type { WalSegmentSize } from '../wal/wal-segment-size.ts';

/** Where streaming resumes. */
export interface StreamingStart {
  readonly timeline: TimelineId;
  readonly lsn: Lsn;
  /** Why this position: `partial` (rewrite the newest .partial from its start), `segment` (after the newest complete segment). */
  readonly from: 'partial' | 'segment';
  /** The file it was derived from. */
  readonly file: string;
}

/**
 * Where to resume from what `streaming/` already holds, as pg_receivewal does: the newest
 * segment number wins (any timeline); a `.partial` is streamed again from its start and rewritten
 * in place (its tail may not have been flushed), a complete segment is followed by the next one.
 * Undefined when the directory holds no WAL: the caller then asks the slot or the server.
 */
export async function findStreamingStart(
  directory: string,
  segmentSize: WalSegmentSize,
): Promise<StreamingStart | undefined> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('cannot list streaming directory', directory, error);
  }
  let best: { segno: bigint; timeline: TimelineId; partial: boolean; file: string } | undefined;
  for (const file of names) {
    const partial = file.endsWith('.partial');
    const name = partial ? file.slice(0, -'.partial'.length) : file;
    let parsed: ReturnType<typeof parseSegmentName>;
    try {
      parsed = parseSegmentName(name, segmentSize);
    } catch {
      continue; // a name that cannot exist with this segment size is not ours to resume from
    }
    if (!parsed) continue;
    const better =
      !best ||
      parsed.segno > best.segno ||
      (parsed.segno === best.segno &&
        (parsed.timeline > best.timeline || (parsed.timeline === best.timeline && !partial)));
    if (better) best = { segno: parsed.segno, timeline: parsed.timeline, partial, file };
  }
  if (!best) return undefined;
  const segno = best.segno as Parameters<typeof segmentStartLsn>[0];
  return best.partial
    ? {
        timeline: best.timeline,
        lsn: segmentStartLsn(segno, segmentSize),
        from: 'partial',
        file: best.file,
      }
    : {
        timeline: best.timeline,
        lsn: segmentStartLsn(nextSegment(segno, segmentSize), segmentSize),
        from: 'segment',
        file: best.file,
      };
}
