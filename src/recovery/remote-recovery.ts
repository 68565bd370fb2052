import { readFile, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { shellQuote } from '../backup/config-ssh-tar.ts';
import { resolveBackup } from '../catalog/backup-catalog.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { backupDirectory } from '../catalog/backup-paths.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { lastWalPosition } from './last-wal-position.ts';
import { checkTargetRange } from './recovery-checks.ts';
import type { RecoverySettings } from './recovery-settings.ts';
import {
  findBackupArchive,
  packDirectory,
  repackArchive,
  type SkipMember,
} from './recovery-tar.ts';
import { availableWal, recoveryWalDirectory } from './recovery-wal.ts';
import { checkRemoteDirectories, type RemoteDirectory } from './remote-checks.ts';
import {
  AUTO_CONF,
  configFiles,
  packRecoveryWal,
  renderRecoverySettings,
} from './remote-recovery-content.ts';
import { streamToRemote } from './remote-tar-stream.ts';
import type { TablespacePlacement } from './restore-data.ts';
import type { RecoveryOutcome, RecoveryRequest } from './run-recovery.ts';

/** What `recover --remote-ssh-command` is asked for, on top of a local recovery's request. */
export interface RemoteRecoveryRequest extends RecoveryRequest {
  /** How to log in to the host that receives the data (`ssh postgres@host`), a shell fragment. */
  readonly sshCommand: string;
  /**
   * The command the recovered host runs to call barkeep on this (the backup) host, for the
   * get-wal restore_command; see {@link defaultRemoteBarkeepCommand}.
   */
  readonly remoteBarkeepCommand: string;
}

/** A plain backup's files that are not part of PGDATA. */
const NOT_PGDATA = new Set(['backup_manifest']);

/**
 * The default of `--remote-barkeep-command`: `ssh <this user>@<this host> barkeep -c <config>`,
 * i.e. the recovered host logs back in to the backup host as the user running this recover and
 * calls the `barkeep` found in that login's PATH with the configuration used now. The recovered
 * host's PostgreSQL account needs a key that this account accepts (as with Barman's
 * `barman-wal-restore`).
 */
export function defaultRemoteBarkeepCommand(configFile: string): string {
  return `ssh ${userInfo().username}@${hostname()} barkeep -c ${remoteShellWord(configFile)}`;
}

/**
 * `recover SERVER ID DEST --remote-ssh-command CMD`: rebuilds the cluster on another host,
 * streamed over ssh and never staged on this one. The refusals of a local recovery come first,
 * with the remote ones asked over ssh in one round trip (DEST and the tablespace directories
 * missing or empty, enough free space by `df`). Then DEST receives one tar stream, unpacked
 * there by `tar` as the ssh user (so everything belongs to that user, the remote PostgreSQL
 * account): the backup's data (a plain copy packed file by file, or the compressed archive's
 * members as they are decompressed), postgresql.auto.conf with the recovery settings and
 * `archive_command = false`, the signal file, `pg_tblspc` links and `tablespace_map`, the
 * configuration kept outside PGDATA adjusted to DEST, and without get-wal the WAL it needs in
 * `barman_wal/` (the streaming `.partial` included). Each tablespace gets its own stream. With
 * get-wal, restore_command runs `<remoteBarkeepCommand> get-wal --partial SERVER %f > %p` on the
 * recovered host, i.e. fetches each segment from this host through ssh.
 */
export async function runRemoteRecovery(
  server: ServerConfig,
  request: RemoteRecoveryRequest,
): Promise<RecoveryOutcome> {
  const logger = request.logger.child({ server: server.name });
  if (request.debianCluster) {
    throw new BarkeepError('usage', {
      what: 'invalid option',
      subject: '--debian-cluster',
      why: 'a Debian cluster is adopted on this host; it does not go with --remote-ssh-command',
    });
  }
  const destination = remotePath(request.destination, 'the remote destination');
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
  const paths = backupDirectory(layout, info.backup_id);
  const placements = remotePlacements(info, request.tablespaces);
  const wal = await availableWal(layout, info, request.targetTimeline);
  checkTargetRange(info, request.target, await lastWalPosition(layout, wal, info));
  const walBytes = request.getWal
    ? 0
    : (wal.segments.length + (wal.partial ? 1 : 0)) * (info.xlog_segment_size ?? 16 * 1024 * 1024);
  const directories: RemoteDirectory[] = [
    { path: destination, what: 'destination' },
    ...placements.map((placement) => ({
      path: placement.location,
      what: `directory of tablespace ${placement.name}`,
    })),
  ];
  const inspection = await checkRemoteDirectories(
    request.sshCommand,
    directories,
    (info.cluster_size ?? info.size ?? 0) + walBytes,
  );
  if (inspection.freeBytes === undefined)
    logger.warn(`could not measure the free space on the remote host for ${destination} (df)`);

  const settings: RecoverySettings = {
    restoreCommand: request.getWal
      ? `${request.remoteBarkeepCommand} get-wal --partial ${server.name} %f > %p`
      : `cp ${recoveryWalDirectory}/%f %p`,
    target: request.target,
    targetTimeline: request.targetTimeline,
    ...(request.exclusive ? { exclusive: true } : {}),
    targetAction: request.targetAction,
    ...(request.standby ? { standby: true } : {}),
  };
  const config = await configFiles(info, paths, destination);
  const compressed = info.compression !== null && info.compression !== undefined;
  logger.info(
    `recovering backup ${info.backup_id} of server ${server.name} into ${destination} through ${request.sshCommand}`,
  );
  try {
    let files = 0;
    let bytes = 0;
    let walFiles = 0;
    let values: Record<string, string> = {};
    const data = await streamToRemote(request.sshCommand, destination, async (writer) => {
      const skip = dataSkip(placements, config.relativePaths);
      let autoConf: Buffer | undefined;
      if (!compressed) {
        await writer.directory('.', (await statOrFail(paths.data)).mode);
        await packDirectory(writer, paths.data, skip);
        autoConf = await readIfExists(join(paths.data, AUTO_CONF));
      } else {
        const captured = await repackArchive(
          writer,
          await findBackupArchive(paths.data, 'base'),
          skip,
          new Set([AUTO_CONF]),
        );
        autoConf = captured.get(AUTO_CONF);
      }
      ({ files, bytes } = writer.written);
      const rendered = await renderRecoverySettings(autoConf, settings);
      values = rendered.values;
      await writer.buffer(AUTO_CONF, 0o600, rendered.autoConf);
      await writer.buffer(rendered.signal, 0o600, Buffer.alloc(0));
      for (const placement of placements)
        await writer.symlink(`pg_tblspc/${placement.oid}`, placement.location);
      if (placements.length > 0)
        await writer.buffer('tablespace_map', 0o600, tablespaceMap(placements));
      for (const file of config.files) await writer.buffer(file.relative, file.mode, file.content);
      if (!request.getWal) walFiles = await packRecoveryWal(writer, server, wal);
    });
    logger.debug(`${data.files} files written into ${destination} on the remote host`);
    for (const placement of placements) {
      const written = await streamToRemote(
        request.sshCommand,
        placement.location,
        async (writer) => {
          if (!compressed) {
            const source = paths.tablespace(placement.oid);
            await writer.directory('.', (await statOrFail(source)).mode);
            await packDirectory(writer, source);
          } else {
            await repackArchive(
              writer,
              await findBackupArchive(paths.data, String(placement.oid)),
              () => false,
            );
          }
        },
      );
      files += written.files;
      bytes += written.bytes;
    }
    return {
      info,
      destination,
      files,
      bytes,
      walFiles,
      partialUsed: wal.partial,
      settings: values,
      configFiles: config.files.map((file) => posix.join(destination, file.relative)),
      nextCommand: `pg_ctl -D ${destination} start`,
    };
  } catch (error) {
    logger.error(
      `recovery into ${destination} on the remote host failed; what was written there is incomplete and should be removed`,
    );
    throw error;
  }
}

/** An absolute, normalized path on the remote host (a relative one would depend on its HOME). */
function remotePath(path: string, what: string): string {
  if (!posix.isAbsolute(path)) {
    throw new BarkeepError('usage', {
      what: 'invalid path',
      subject: path,
      why: `${what} must be an absolute path`,
    });
  }
  const normalized = posix.normalize(path);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

function remotePlacements(
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
    location: remotePath(
      relocations.get(tablespace.name) ?? tablespace.location,
      `the directory of tablespace ${tablespace.name}`,
    ),
  }));
}

/**
 * What the data stream leaves out: barkeep's own files, the files written afterwards in their
 * recovered form (postgresql.auto.conf, the kept configuration, tablespace links and map).
 */
function dataSkip(
  placements: readonly TablespacePlacement[],
  configPaths: ReadonlySet<string>,
): SkipMember {
  const links = placements.map((placement) => `pg_tblspc/${placement.oid}`);
  return (member) =>
    NOT_PGDATA.has(member) ||
    member === AUTO_CONF ||
    configPaths.has(member) ||
    (placements.length > 0 && member === 'tablespace_map') ||
    links.some((link) => member === link || member.startsWith(`${link}/`));
}

function tablespaceMap(placements: readonly TablespacePlacement[]): Buffer {
  return Buffer.from(
    placements
      .map((placement) => `${placement.oid} ${placement.location.replace(/\n/g, '\\n')}\n`)
      .join(''),
  );
}

async function statOrFail(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    throw ioError('cannot read backup directory', path, error);
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('cannot read backup file', path, error);
  }
}

/** A word for a command line that the remote shell parses again (ssh joins its arguments). */
function remoteShellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : shellQuote(shellQuote(text));
}
