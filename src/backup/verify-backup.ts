import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listBackups } from '../catalog/backup-catalog.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { backupDirectory } from '../catalog/backup-paths.ts';
import { selectBackup } from '../catalog/backup-selector.ts';
import { COPY_DONE_STATUSES } from '../catalog/backup-status.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { forEachLimited } from '../storage/bounded-workers.ts';
import { type BackupManifest, displayKey, parseBackupManifest } from './backup-manifest.ts';
import { verifyArchives } from './verify-archives.ts';
import { verifyExternalConfig } from './verify-external-config.ts';
import {
  bytePath,
  checkFile,
  compare,
  isDirectory,
  listNames,
  RANK_EXTRA,
  RANK_FILE,
  RANK_MANIFEST,
  READ_CHUNK,
  TAR_ARCHIVE,
  tablespacePart,
  type VerifyContext,
  walkFiles,
} from './verify-files.ts';

/** One thing wrong with a backup. */
export interface VerifyProblem {
  /**
   * The file concerned: its path on disk, `<archive>:<member>` for a file inside a tar
   * archive, or the archive itself.
   */
  readonly location: string;
  /** What is wrong, one sentence without the final period. */
  readonly why: string;
}

/** What `verify-backup` found. */
export interface BackupVerification {
  readonly server: string;
  readonly info: BackupInfo;
  /** `plain`: an unpacked data directory; `tar`: `base.tar[.ext]` and `<oid>.tar[.ext]` archives. */
  readonly format: 'plain' | 'tar';
  /** Files checked: those the manifest lists plus the stored external configuration files. */
  readonly filesChecked: number;
  /**
   * Every problem, the most telling first: the manifest itself, whole archives that are
   * missing or unreadable, then files in manifest order, then files the manifest does not list,
   * then the external configuration files.
   */
  readonly problems: readonly VerifyProblem[];
}

/** Options of {@link verifyBackup}. */
export interface VerifyBackupOptions {
  /** Files (plain backups) or archives (compressed backups) read at once; default 1. */
  readonly jobs?: number;
  readonly signal?: AbortSignal;
}

interface RankedProblem extends VerifyProblem {
  readonly rank: number;
  readonly order: number;
}

/**
 * `verify-backup SERVER ID`: checks every file of a backup against its `data/backup_manifest`,
 * as pg_verifybackup does but without it: the manifest's own checksum, then each listed file's
 * presence, size and checksum (CRC-32C or SHA-2, whichever the manifest names), and files the
 * manifest does not list. Plain backups are read file by file (tablespaces from `base/<id>/<oid>/`,
 * `jobs` files at once); compressed ones are decompressed and their tar archives parsed as a
 * stream, checksums computed on the fly, so memory stays bounded. The configuration files kept
 * from outside PGDATA are checked against `external-config.json`. Only complete backups (DONE,
 * WAITING_FOR_WALS) are verified; a backup without a manifest cannot be. Problems are returned,
 * not thrown: see {@link verificationFailure}.
 */
export async function verifyBackup(
  server: ServerConfig,
  selector: string,
  options: VerifyBackupOptions = {},
): Promise<BackupVerification> {
  const layout = serverLayout(server.name, server.settings);
  const info = selectBackup(await listBackups(layout), selector);
  if (!COPY_DONE_STATUSES.includes(info.status)) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot verify backup',
      subject: info.backup_id,
      why: `it is ${info.status}${info.error ? ` (${info.error})` : ''}; only a complete backup can be verified`,
      hint: `See 'barkeep show-backup ${server.name} ${info.backup_id}'.`,
    });
  }
  const paths = backupDirectory(layout, info.backup_id);
  const jobs = Math.max(1, options.jobs ?? 1);
  const problems: RankedProblem[] = [];
  const report = (rank: number, order: number, location: string, why: string) =>
    problems.push({ rank, order, location, why });

  const manifestPath = join(paths.data, 'backup_manifest');
  const manifest = await readManifest(manifestPath, info);
  let format: 'plain' | 'tar' = 'plain';
  let filesChecked = 0;
  if (manifest instanceof Error) {
    report(
      RANK_MANIFEST,
      0,
      manifestPath,
      `it cannot be read as a backup manifest: ${manifest.message}`,
    );
  } else {
    for (const [index, why] of manifestProblems(manifest, info).entries())
      report(RANK_MANIFEST, index, manifestPath, why);
    const dataNames = await listNames(paths.data);
    format = dataNames.some((name) => TAR_ARCHIVE.test(name)) ? 'tar' : 'plain';
    const context: VerifyContext = { paths, manifest, jobs, report, signal: options.signal };
    if (format === 'plain') await verifyPlain(context);
    else await verifyArchives(context, dataNames);
    filesChecked += manifest.files.length;
  }
  filesChecked += await verifyExternalConfig(paths, report);
  problems.sort((a, b) => a.rank - b.rank || a.order - b.order || compare(a.location, b.location));
  return {
    server: server.name,
    info,
    format,
    filesChecked,
    problems: problems.map(({ location, why }) => ({ location, why })),
  };
}

/**
 * The `checkFailed` error (exit 3) for a verification that found problems: it names the first
 * one and counts them all. Undefined when the backup is sound.
 */
export function verificationFailure(verification: BackupVerification): BarkeepError | undefined {
  const [first] = verification.problems;
  if (!first) return undefined;
  const count = verification.problems.length;
  const { info, server } = verification;
  return new BarkeepError('checkFailed', {
    what: 'backup verification failed',
    subject: first.location,
    why: `${first.why} (backup ${info.backup_id} of server ${server}: ${count} problem${count === 1 ? '' : 's'} found${count > 1 ? ', this is the first' : ''})`,
    hint: 'Do not rely on this backup: take a new one, and keep this one only to investigate what changed it.',
  });
}

async function readManifest(path: string, info: BackupInfo): Promise<BackupManifest | Error> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      throw new BarkeepError('operationFailed', {
        what: 'cannot verify backup',
        subject: info.backup_id,
        why: `it has no manifest (${path}); backups taken by rsync or from PostgreSQL before 13 have none`,
        hint: 'Only backups with a backup_manifest can be verified; check-backup still checks their WAL.',
      });
    }
    throw ioError('cannot read backup manifest', path, error);
  }
  try {
    return parseBackupManifest(raw);
  } catch (error) {
    return error as Error;
  }
}

/** The manifest's own problems, and those that show it belongs to another backup. */
function manifestProblems(manifest: BackupManifest, info: BackupInfo): string[] {
  const problems = [...manifest.problems];
  if (
    manifest.systemIdentifier !== undefined &&
    info.systemid &&
    manifest.systemIdentifier !== info.systemid
  )
    problems.push(
      `it is of the cluster ${manifest.systemIdentifier}, but the backup is of ${info.systemid}`,
    );
  if (
    manifest.startLsn !== undefined &&
    info.begin_xlog &&
    manifest.startLsn.toUpperCase() !== info.begin_xlog.toUpperCase()
  )
    problems.push(
      `its WAL range starts at ${manifest.startLsn}, but the backup began at ${info.begin_xlog}`,
    );
  return problems;
}

async function verifyPlain(context: VerifyContext): Promise<void> {
  const { paths, manifest, report } = context;
  // Barman's and barkeep's layout: tablespaces beside data/, as base/<id>/<oid>/. A backup whose
  // data/pg_tblspc/<oid> is a directory (or a link elsewhere) is read there instead.
  const roots = new Map<string, string>();
  const tablespaceRoot = async (oid: string) => {
    let root = roots.get(oid);
    if (root === undefined) {
      const beside = paths.tablespace(Number(oid));
      root = (await isDirectory(beside)) ? beside : join(paths.data, 'pg_tblspc', oid);
      roots.set(oid, root);
    }
    return root;
  };
  const locate = async (key: string): Promise<{ root: string; relative: string }> => {
    const part = tablespacePart(key);
    return part
      ? { root: await tablespaceRoot(part.oid), relative: part.rest }
      : { root: paths.data, relative: key };
  };

  const perWorker = { setup: () => Buffer.allocUnsafe(READ_CHUNK), signal: context.signal };
  await forEachLimited(
    manifest.files,
    context.jobs,
    async (file, buffer: Buffer) => {
      const { root, relative } = await locate(file.key);
      const location = join(root, displayKey(relative));
      const why = await checkFile(bytePath(root, relative), file.size, file, buffer);
      if (why) report(RANK_FILE, file.index, location, why);
    },
    perWorker,
  );

  const listed = new Set(manifest.files.map((file) => file.key));
  const extra = (key: string, location: string) => {
    if (!listed.has(key)) report(RANK_EXTRA, 0, location, 'the manifest does not list this file');
  };
  for await (const relative of walkFiles(paths.data)) {
    if (relative === 'backup_manifest') continue;
    extra(relative, join(paths.data, displayKey(relative)));
  }
  for (const name of await listNames(paths.directory)) {
    if (!/^\d+$/.test(name) || !(await isDirectory(join(paths.directory, name)))) continue;
    for await (const relative of walkFiles(join(paths.directory, name)))
      extra(`pg_tblspc/${name}/${relative}`, join(paths.directory, name, displayKey(relative)));
  }
}
