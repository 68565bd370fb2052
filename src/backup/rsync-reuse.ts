import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listBackups } from '../catalog/backup-catalog.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { type BackupPaths, backupDirectory } from '../catalog/backup-paths.ts';
import type { ServerLayout } from '../catalog/server-layout.ts';
import { type ManifestFile, parseBackupManifest } from './backup-manifest.ts';

/** The backup a new rsync backup reuses files from (`reuse_backup = copy|link`). */
export interface ReuseBase {
  readonly mode: 'link' | 'copy';
  readonly info: BackupInfo;
  readonly paths: BackupPaths;
  /**
   * Files whose modification time is at or after this instant (ms) may have changed after that
   * backup read them: they are always transferred. Before it, size and time decide.
   */
  readonly horizonMs: number;
  /** Its manifest's files by key, SHA-256 ones only; empty when it has none. */
  readonly manifest: ReadonlyMap<string, ManifestFile>;
}

/** Slack below the previous backup's start, for timestamps rounded by either side. */
const HORIZON_SLACK_MS = 1000;

/**
 * The previous backup to reuse, as Barman picks it: the newest DONE backup older than this one,
 * here only a plain (uncompressed) copy taken by rsync (barkeep's or Barman's), whose
 * `begin_time` comes from the PostgreSQL host's clock, the clock of the file times it is
 * compared with. Its `begin_time` is the horizon: a file not modified since then is the same as
 * that backup's copy when size and time match; anything newer is transferred. Returns undefined
 * (a full copy) with `reason` when there is none.
 */
export async function findReuseBase(
  layout: ServerLayout,
  backupId: string,
  mode: 'off' | 'copy' | 'link',
): Promise<{ base: ReuseBase | undefined; reason?: string }> {
  if (mode === 'off') return { base: undefined };
  const { backups } = await listBackups(layout);
  const previous = backups
    .filter((info) => info.backup_id < backupId && info.status === 'DONE')
    .at(-1);
  if (!previous) return { base: undefined, reason: 'there is no earlier DONE backup' };
  if (!previous.mode?.startsWith('rsync') || previous.compression || !previous.begin_time) {
    return {
      base: undefined,
      reason: `the last DONE backup ${previous.backup_id} is not a plain rsync copy (mode ${previous.mode ?? 'unknown'}${previous.compression ? `, ${previous.compression}` : ''})`,
    };
  }
  const paths = backupDirectory(layout, previous.backup_id);
  if (!(await isDirectory(paths.data))) {
    return { base: undefined, reason: `backup ${previous.backup_id} has no data directory` };
  }
  return {
    base: {
      mode,
      info: previous,
      paths,
      horizonMs: previous.begin_time.date.getTime() - HORIZON_SLACK_MS,
      manifest: await readManifestFiles(join(paths.data, 'backup_manifest')),
    },
  };
}

async function readManifestFiles(path: string): Promise<ReadonlyMap<string, ManifestFile>> {
  try {
    const manifest = parseBackupManifest(await readFile(path));
    if (manifest.problems.length > 0) return new Map();
    return new Map(
      manifest.files.filter((file) => file.algorithm === 'SHA256').map((file) => [file.key, file]),
    );
  } catch {
    // No manifest (a Barman backup), or one that does not read: every file is checksummed.
    return new Map();
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
