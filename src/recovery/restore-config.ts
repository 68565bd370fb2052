import { chmod, lchown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { StoredConfigFile } from '../backup/external-config-store.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import type { BackupPaths } from '../catalog/backup-paths.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { FileOwner } from './copy-tree.ts';
import {
  appendSettings,
  commentOutSettings,
  quoteConfValue,
  rewriteIncludes,
} from './postgresql-conf-edit.ts';

/** Where the configuration kept outside PGDATA goes, and what it must be told. */
export interface ConfigPlacement {
  /** The directory that receives config_file's directory (DEST, or /etc/postgresql/VER/NAME). */
  readonly configDirectory: string;
  /** The data directory the configuration must point at (DEST). */
  readonly dataDirectory: string;
  /** Extra settings for the restored postgresql.conf (Debian: port, cluster_name, pid file). */
  readonly settings?: Readonly<Record<string, string>>;
}

/** What was restored: the new paths of the server's configuration files. */
export interface RestoredConfig {
  readonly files: readonly string[];
  readonly configFile: string | undefined;
}

const PATH_SETTINGS = [
  'data_directory',
  'hba_file',
  'ident_file',
  'external_pid_file',
  'stats_temp_directory',
];

/**
 * Brings back the configuration files that lived outside PGDATA (kept under `external/` by the
 * backup): config_file's directory is recreated under `placement.configDirectory` with its
 * structure (conf.d/ and relative includes keep working), files kept from elsewhere go to
 * `<configDirectory>/barkeep-included/<original path>`. postgresql.conf is then adjusted so the
 * cluster starts from the new place: the old `data_directory`, `hba_file`, `ident_file`,
 * `external_pid_file`, `stats_temp_directory` are commented out, new values added in a marked
 * block, absolute include paths rewritten. Returns undefined configFile when the backup kept
 * nothing outside PGDATA (the configuration is then inside the data directory already).
 */
export async function restoreExternalConfig(
  info: BackupInfo,
  paths: BackupPaths,
  placement: ConfigPlacement,
  owner: FileOwner | undefined,
): Promise<RestoredConfig> {
  const stored = await readStoredConfigList(paths);
  if (stored.length === 0 || !info.config_file) return { files: [], configFile: undefined };
  const plan = planConfigRestore(info, info.config_file, placement);
  const written: string[] = [];
  for (const file of stored) {
    const target = plan.targetOf(file.originalPath);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    const content = await readFile(join(paths.directory, file.storedPath)).catch(
      (error: unknown) => {
        throw ioError(
          'cannot read kept configuration file',
          join(paths.directory, file.storedPath),
          error,
        );
      },
    );
    await writeFile(target, content, { mode: file.mode === null ? 0o640 : file.mode & 0o777 });
    await chmod(target, file.mode === null ? 0o640 : file.mode & 0o777);
    if (owner) await lchown(target, owner.uid, owner.gid);
    written.push(target);
  }
  const configFile = plan.configFile;
  await writeFile(configFile, plan.adjust(await readFile(configFile, 'utf8')));
  return { files: written, configFile };
}

/** Where the kept configuration files go and how postgresql.conf is adjusted for that place. */
export interface ConfigRestorePlan {
  /** The new path of config_file (postgresql.conf). */
  readonly configFile: string;
  /** The new path of a kept file, by its original path. */
  targetOf(originalPath: string): string;
  /** postgresql.conf's text adjusted to the new place (paths, includes, extra settings). */
  adjust(text: string): string;
}

/**
 * The pure part of {@link restoreExternalConfig}, shared with remote recovery: config_file's
 * directory maps to `placement.configDirectory`, other kept files to
 * `<configDirectory>/barkeep-included/<original path>`; `adjust` comments out the old path
 * settings, adds the new ones in a marked block and rewrites absolute include paths.
 */
export function planConfigRestore(
  info: BackupInfo,
  originalConfigFile: string,
  placement: ConfigPlacement,
): ConfigRestorePlan {
  const originalDir = dirname(originalConfigFile);
  const newPathOf = (original: string) =>
    original === originalDir || original.startsWith(`${originalDir}/`)
      ? join(placement.configDirectory, relative(originalDir, original))
      : join(placement.configDirectory, 'barkeep-included', original);
  const adjust = (original: string): string => {
    let text = rewriteIncludes(original, (path) =>
      path.startsWith('/') && path !== newPathOf(path) ? newPathOf(path) : undefined,
    );
    text = commentOutSettings(text, PATH_SETTINGS, 'barkeep recover: path of the original cluster');
    const settings: Record<string, string> = {
      data_directory: quoteConfValue(placement.dataDirectory),
      ...(info.hba_file
        ? {
            hba_file: quoteConfValue(
              insideData(info, info.hba_file, placement) ?? newPathOf(info.hba_file),
            ),
          }
        : {}),
      ...(info.ident_file
        ? {
            ident_file: quoteConfValue(
              insideData(info, info.ident_file, placement) ?? newPathOf(info.ident_file),
            ),
          }
        : {}),
      ...placement.settings,
    };
    return appendSettings(
      text,
      `Added by barkeep recover of backup ${info.backup_id}: paths of the recovered cluster`,
      settings,
    );
  };
  return { configFile: newPathOf(originalConfigFile), targetOf: newPathOf, adjust };
}

/** A file that was inside the original PGDATA is now inside the new data directory. */
function insideData(
  info: BackupInfo,
  path: string,
  placement: ConfigPlacement,
): string | undefined {
  if (!info.pgdata || !(path === info.pgdata || path.startsWith(`${info.pgdata}/`)))
    return undefined;
  return join(placement.dataDirectory, relative(info.pgdata, path));
}

/** The configuration files a backup kept outside PGDATA (`external-config.json`), none if absent. */
export async function readStoredConfigList(paths: BackupPaths): Promise<StoredConfigFile[]> {
  const path = join(paths.directory, 'external-config.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as StoredConfigFile[];
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('cannot read the list of kept configuration files', path, error);
  }
}
