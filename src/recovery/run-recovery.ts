import { chown, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { syncTree } from '../backup/sync-tree.ts';
import { resolveBackup } from '../catalog/backup-catalog.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { backupDirectory } from '../catalog/backup-paths.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { lookupOsUser } from '../storage/os-user.ts';
import type { FileOwner } from './copy-tree.ts';
import { adoptDebianCluster, type DebianCluster, prepareDebianCluster } from './debian-cluster.ts';
import { lastWalPosition } from './last-wal-position.ts';
import { checkEmptyDestination, checkFreeSpace, checkTargetRange } from './recovery-checks.ts';
import { writeRecoverySettings } from './recovery-settings.ts';
import type { RecoveryTarget } from './recovery-target.ts';
import { availableWal, copyRecoveryWal, recoveryWalDirectory } from './recovery-wal.ts';
import { restoreExternalConfig } from './restore-config.ts';
import { restoreData, type TablespacePlacement } from './restore-data.ts';

/** What `recover` is asked for. */
export interface RecoveryRequest {
  readonly backup: string;
  readonly destination: string;
  readonly target: RecoveryTarget;
  readonly targetTimeline?: string | undefined;
  readonly exclusive?: boolean;
  readonly targetAction?: 'pause' | 'shutdown' | 'promote' | undefined;
  readonly standby?: boolean;
  /** `--tablespace NAME:DIR` relocations. */
  readonly tablespaces: ReadonlyMap<string, string>;
  readonly jobs: number;
  /** restore_command runs barkeep get-wal (true) or reads WAL copied into DEST (false). */
  readonly getWal: boolean;
  /** The command line that runs this barkeep with its configuration, for restore_command. */
  readonly barkeepCommand: string;
  readonly debianCluster?: DebianCluster | undefined;
  readonly logger: Logger;
}

/** What a recovery did, for the output. */
export interface RecoveryOutcome {
  readonly info: BackupInfo;
  readonly destination: string;
  readonly files: number;
  readonly bytes: number;
  readonly walFiles: number;
  readonly partialUsed: string | undefined;
  readonly settings: Readonly<Record<string, string>>;
  readonly configFiles: readonly string[];
  readonly nextCommand: string;
}

/**
 * `recover SERVER ID DEST`: rebuilds a cluster from a backup at a chosen point. Everything that
 * can be refused is refused before a byte is copied (DEST not empty, the target outside the
 * backup and the WAL, tablespace directories in use, not enough space). Then: the data and
 * tablespaces, the configuration kept outside PGDATA (adjusted to the new place), WAL copied
 * into DEST or fetched through get-wal (the streaming `.partial` included either way), the
 * recovery settings with archiving switched off, ownership for PostgreSQL's OS user when run as
 * root, and everything fsynced. With a Debian cluster, the configuration goes to
 * /etc/postgresql/VER/NAME and postgresql-common adopts the cluster.
 */
export async function runRecovery(
  server: ServerConfig,
  request: RecoveryRequest,
): Promise<RecoveryOutcome> {
  const logger = request.logger.child({ server: server.name });
  const layout = serverLayout(server.name, server.settings);
  const info = await resolveBackup(layout, request.backup);
  if (info.status !== 'DONE') {
    throw new BarkeepError('operationFailed', {
      what: 'refused to recover',
      subject: info.backup_id,
      why: `the backup is ${info.status}`,
      hint: 'Choose a DONE backup (list-backups).',
    });
  }
  const destination = resolve(request.destination);
  const paths = backupDirectory(layout, info.backup_id);
  const placements = tablespacePlacements(info, request.tablespaces);
  const wal = await availableWal(layout, info, request.targetTimeline);
  await checkEmptyDestination(destination);
  for (const placement of placements)
    await checkEmptyDestination(placement.location, `directory of tablespace ${placement.name}`);
  checkTargetRange(info, request.target, await lastWalPosition(layout, wal, info));
  const walBytes = request.getWal
    ? 0
    : (wal.segments.length + (wal.partial ? 1 : 0)) * (info.xlog_segment_size ?? 16 * 1024 * 1024);
  await checkFreeSpace(destination, (info.cluster_size ?? info.size ?? 0) + walBytes);
  if (request.debianCluster) await prepareDebianCluster(request.debianCluster);

  const owner = recoveryOwner();
  logger.info(`recovering backup ${info.backup_id} of server ${server.name} into ${destination}`);
  try {
    await mkdir(destination, { recursive: true, mode: 0o700 });
    if (owner) await chown(destination, owner.uid, owner.gid);
    const copied = await restoreData(info, paths, destination, placements, {
      jobs: request.jobs,
      owner,
    });
    const configDirectory = request.debianCluster
      ? request.debianCluster.configDirectory
      : destination;
    const restoredConfig = await restoreExternalConfig(
      info,
      paths,
      {
        configDirectory,
        dataDirectory: destination,
        ...(request.debianCluster ? { settings: request.debianCluster.settings } : {}),
      },
      owner,
    );
    let walFiles = 0;
    let restoreCommand: string;
    if (request.getWal) {
      restoreCommand = `${request.barkeepCommand} get-wal --partial ${server.name} %f > %p`;
    } else {
      walFiles = await copyRecoveryWal(server, wal, destination, owner);
      restoreCommand = `cp ${recoveryWalDirectory}/%f %p`;
    }
    const settings = await writeRecoverySettings(
      destination,
      {
        restoreCommand,
        target: request.target,
        targetTimeline: request.targetTimeline,
        ...(request.exclusive ? { exclusive: true } : {}),
        targetAction: request.targetAction,
        ...(request.standby ? { standby: true } : {}),
      },
      owner,
    );
    await syncTree(destination, Math.max(8, request.jobs * 2));
    let nextCommand = `pg_ctl -D ${destination} start`;
    if (request.debianCluster)
      nextCommand = await adoptDebianCluster(
        request.debianCluster,
        destination,
        info,
        restoredConfig.configFile !== undefined,
        owner,
      );
    return {
      info,
      destination,
      files: copied.files,
      bytes: copied.bytes,
      walFiles,
      partialUsed: wal.partial,
      settings,
      configFiles: restoredConfig.files,
      nextCommand,
    };
  } catch (error) {
    logger.error(
      `recovery into ${destination} failed; what was written there is incomplete and should be removed`,
    );
    throw error;
  }
}

function tablespacePlacements(
  info: BackupInfo,
  relocations: ReadonlyMap<string, string>,
): TablespacePlacement[] {
  const known = new Set((info.tablespaces ?? []).map((tablespace) => tablespace.name));
  for (const name of relocations.keys()) {
    if (!known.has(name)) {
      throw new BarkeepError('usage', {
        what: 'unknown tablespace',
        subject: name,
        why: `backup ${info.backup_id} has ${known.size ? [...known].join(', ') : 'no tablespaces'}`,
      });
    }
  }
  return (info.tablespaces ?? []).map((tablespace) => ({
    name: tablespace.name,
    oid: tablespace.oid,
    location: resolve(relocations.get(tablespace.name) ?? tablespace.location),
  }));
}

/** As root, restored files belong to PostgreSQL's OS user (`postgres`); otherwise to us. */
function recoveryOwner(): FileOwner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = lookupOsUser('postgres');
  return { uid: user.uid, gid: user.gid };
}
