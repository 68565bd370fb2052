/**
 * What a remote recovery sends besides the data: the kept configuration and the recovery
 * settings in their recovered form, and the WAL, each rendered exactly as a local recovery
 * writes it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { getWal } from '../archive/get-wal.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import type { BackupPaths } from '../catalog/backup-paths.ts';
import type { ServerConfig } from '../config/settings.ts';
import { ioError } from '../errors/system-error.ts';
import { type RecoverySettings, writeRecoverySettings } from './recovery-settings.ts';
import type { TarWriter } from './recovery-tar.ts';
import { type AvailableWal, recoveryWalDirectory } from './recovery-wal.ts';
import { planConfigRestore, readStoredConfigList } from './restore-config.ts';

/** The file the recovery settings go into, inside DEST. */
export const AUTO_CONF = 'postgresql.auto.conf';

/** One kept configuration file in its recovered form, relative to DEST. */
export interface RecoveredConfigFile {
  readonly relative: string;
  readonly mode: number;
  readonly content: Buffer;
}

/**
 * The configuration kept outside PGDATA as restoreExternalConfig would write it with DEST as
 * both the configuration and the data directory: config_file's directory into DEST, other files
 * under `barkeep-included/`, postgresql.conf adjusted (paths, includes) to DEST.
 */
export async function configFiles(
  info: BackupInfo,
  paths: BackupPaths,
  destination: string,
): Promise<{ files: RecoveredConfigFile[]; relativePaths: Set<string> }> {
  const stored = await readStoredConfigList(paths);
  if (stored.length === 0 || !info.config_file) return { files: [], relativePaths: new Set() };
  const plan = planConfigRestore(info, info.config_file, {
    configDirectory: destination,
    dataDirectory: destination,
  });
  const files: RecoveredConfigFile[] = [];
  for (const file of stored) {
    const source = join(paths.directory, file.storedPath);
    let content = await readFile(source).catch((error: unknown) => {
      throw ioError('cannot read kept configuration file', source, error);
    });
    const target = plan.targetOf(file.originalPath);
    if (target === plan.configFile) content = Buffer.from(plan.adjust(content.toString('utf8')));
    files.push({
      relative: posix.relative(destination, target),
      mode: file.mode === null ? 0o640 : file.mode & 0o777,
      content,
    });
  }
  return { files, relativePaths: new Set(files.map((file) => file.relative)) };
}

/**
 * The recovery settings exactly as a local recovery writes them: writeRecoverySettings runs on a
 * private scratch directory holding only the backup's postgresql.auto.conf, and the result is
 * read back (a few hundred bytes; the data itself is never staged).
 */
export async function renderRecoverySettings(
  original: Buffer | undefined,
  settings: RecoverySettings,
): Promise<{ autoConf: Buffer; signal: string; values: Record<string, string> }> {
  const scratch = await mkdtemp(join(tmpdir(), 'barkeep-recover-settings-'));
  try {
    if (original) await writeFile(join(scratch, AUTO_CONF), original, { mode: 0o600 });
    const values = await writeRecoverySettings(scratch, settings, undefined);
    return {
      autoConf: await readFile(join(scratch, AUTO_CONF)),
      signal: settings.standby ? 'standby.signal' : 'recovery.signal',
      values,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Without get-wal: the WAL a recovery needs into `barman_wal/` of the stream, decompressed, one
 * file at a time (history files, segments on the way to the target, the streaming `.partial`
 * under its segment's name, zero-padded), as copyRecoveryWal does locally. Returns the count.
 */
export async function packRecoveryWal(
  writer: TarWriter,
  server: ServerConfig,
  wal: AvailableWal,
): Promise<number> {
  await writer.directory(recoveryWalDirectory, 0o700);
  let count = 0;
  const put = async (name: string, partial: boolean) => {
    const retrieved = await getWal(server, name, { partial });
    await writer.buffer(`${recoveryWalDirectory}/${name}`, 0o600, retrieved.data);
    count++;
  };
  for (const name of [...wal.histories, ...wal.segments]) await put(name, false);
  if (wal.partial) await put(wal.partial, true);
  return count;
}
