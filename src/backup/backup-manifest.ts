import { createHash } from 'node:crypto';
import { type ManifestChecksumAlgorithm, parseChecksumAlgorithm } from './manifest-checksum.ts';

/** One file a backup manifest lists. */
export interface ManifestFile {
  /**
   * The path relative to the data directory, as a byte string (each character one byte, the
   * `latin1` reading of the path's bytes): `Path` encoded as UTF-8, or the bytes of
   * `Encoded-Path`. Tablespace files are `pg_tblspc/<oid>/...`.
   */
  readonly key: string;
  /** The path for messages (UTF-8, invalid bytes replaced). */
  readonly display: string;
  readonly size: number;
  readonly algorithm: ManifestChecksumAlgorithm;
  /** Lower-case hex; '' with `NONE`. */
  readonly checksum: string;
  /** Position in the manifest, the order problems are reported in. */
  readonly index: number;
}

/** A PostgreSQL backup manifest (`backup_manifest`, format version 1 or 2), as read. */
export interface BackupManifest {
  readonly version: number;
  /** Version 2 (PostgreSQL 17+) names the cluster. */
  readonly systemIdentifier: string | undefined;
  readonly files: readonly ManifestFile[];
  /** `Start-LSN` of the first WAL range, e.g. `0/2000028`. */
  readonly startLsn: string | undefined;
  /**
   * What is wrong with the manifest itself: its `Manifest-Checksum` does not match, or entries
   * that cannot be used (each left out of `files`). Empty when it is sound.
   */
  readonly problems: readonly string[];
}

/** The byte-string key of a path given as text (see {@link ManifestFile.key}). */
export function pathKey(path: string): string {
  return Buffer.from(path, 'utf8').toString('latin1');
}

/** The readable form of a byte-string key. */
export function displayKey(key: string): string {
  return Buffer.from(key, 'latin1').toString('utf8');
}

/**
 * Parses a backup manifest as pg_verifybackup reads it, and checks its own `Manifest-Checksum`:
 * the SHA-256 of the text up to and including the newline before the last line. Returns the
 * manifest with its problems; throws a plain Error (the caller names the file) only when the
 * text is not a manifest at all (not JSON, no `Files` list).
 */
export function parseBackupManifest(raw: Buffer): BackupManifest {
  const problems: string[] = [];
  const checksumProblem = checkManifestChecksum(raw);
  if (checksumProblem) problems.push(checksumProblem);
  let document: unknown;
  try {
    document = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new Error(`it is not valid JSON (${(error as Error).message})`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new Error('it is not a JSON object');
  const fields = document as Record<string, unknown>;
  const version = fields['PostgreSQL-Backup-Manifest-Version'];
  if (version !== 1 && version !== 2)
    throw new Error(`its PostgreSQL-Backup-Manifest-Version is ${String(version)}, not 1 or 2`);
  const list = fields['Files'];
  if (!Array.isArray(list)) throw new Error('it has no Files list');
  const files: ManifestFile[] = [];
  for (const [index, entry] of list.entries()) {
    const parsed = parseFileEntry(entry, index);
    if (typeof parsed === 'string') problems.push(parsed);
    else files.push(parsed);
  }
  const ranges = fields['WAL-Ranges'];
  const firstRange = Array.isArray(ranges) ? (ranges[0] as Record<string, unknown>) : undefined;
  const startLsn = firstRange?.['Start-LSN'];
  const systemIdentifier = fields['System-Identifier'];
  return {
    version,
    systemIdentifier:
      typeof systemIdentifier === 'number' || typeof systemIdentifier === 'string'
        ? // Above 2^53 a JSON number loses digits; read it from the text instead.
          (systemIdentifierText(raw) ?? String(systemIdentifier))
        : undefined,
    files,
    startLsn: typeof startLsn === 'string' ? startLsn : undefined,
    problems,
  };
}

function parseFileEntry(entry: unknown, index: number): ManifestFile | string {
  const where = `entry ${index + 1} of Files`;
  if (typeof entry !== 'object' || entry === null) return `${where} is not an object`;
  const fields = entry as Record<string, unknown>;
  let key: string;
  if (typeof fields['Path'] === 'string') key = pathKey(fields['Path']);
  else if (
    typeof fields['Encoded-Path'] === 'string' &&
    /^(?:[0-9a-fA-F]{2})+$/.test(fields['Encoded-Path'])
  )
    key = Buffer.from(fields['Encoded-Path'], 'hex').toString('latin1');
  else return `${where} has neither a Path nor a valid Encoded-Path`;
  const display = displayKey(key);
  const size = fields['Size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    return `${where} (${display}) has no valid Size`;
  const algorithmName = fields['Checksum-Algorithm'];
  const algorithm =
    algorithmName === undefined
      ? 'NONE'
      : typeof algorithmName === 'string'
        ? parseChecksumAlgorithm(algorithmName)
        : undefined;
  if (algorithm === undefined)
    return `${where} (${display}) has an unknown Checksum-Algorithm ${JSON.stringify(algorithmName)}`;
  const checksum = fields['Checksum'];
  if (algorithm !== 'NONE' && (typeof checksum !== 'string' || !/^[0-9a-fA-F]+$/.test(checksum)))
    return `${where} (${display}) has no valid Checksum`;
  return {
    key,
    display,
    size,
    algorithm,
    checksum: algorithm === 'NONE' ? '' : (checksum as string).toLowerCase(),
    index,
  };
}

/** Why the manifest's own checksum does not hold, or undefined when it does. */
function checkManifestChecksum(raw: Buffer): string | undefined {
  const last = raw.lastIndexOf(0x0a);
  const penultimate = last > 0 ? raw.lastIndexOf(0x0a, last - 1) : -1;
  if (penultimate < 0) return 'the manifest has fewer than two lines, so no Manifest-Checksum line';
  const lastLine = raw.subarray(penultimate + 1, last).toString('utf8');
  const match = /^"Manifest-Checksum"\s*:\s*"([0-9a-fA-F]{64})"\s*\}\s*$/.exec(lastLine);
  if (!match) return 'its last line is not the Manifest-Checksum';
  const actual = createHash('sha256')
    .update(raw.subarray(0, penultimate + 1))
    .digest('hex');
  const expected = match[1]!.toLowerCase();
  return actual === expected
    ? undefined
    : `its Manifest-Checksum is ${expected} but the manifest's SHA-256 is ${actual}: the manifest was changed`;
}

function systemIdentifierText(raw: Buffer): string | undefined {
  return /"System-Identifier"\s*:\s*"?(\d+)/.exec(raw.subarray(0, 512).toString('utf8'))?.[1];
}
