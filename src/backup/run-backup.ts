import { join } from 'node:path';
import { expectedSystemId } from '../archive/expected-system-id.ts';
import { type BackupInfo, emptyBackupInfo, writeBackupInfo } from '../catalog/backup-info.ts';
import { backupDirectory, newBackupId } from '../catalog/backup-paths.ts';
import { clearBackupProcess, recordBackupProcess } from '../catalog/backup-process.ts';
import { backupTimestamp } from '../catalog/backup-timestamp.ts';
import { ensureServerLayout, lockPath, serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { openConnection } from '../postgres/connect.ts';
import { ReplicationConnection } from '../postgres/replication/replication-connection.ts';
import { runQuery } from '../postgres/run-query.ts';
import { readServerFacts } from '../postgres/server-facts.ts';
import { writeFileDurable } from '../storage/durable-write.ts';
import { acquireLock } from '../storage/process-lock.ts';
import { formatLsn } from '../wal/lsn.ts';
import { segmentName } from '../wal/segment-name.ts';
import { toTimelineId } from '../wal/timeline.ts';
import { segmentBeforeLsn, segmentOffsetOfLsn, segmentOfLsn } from '../wal/wal-segment.ts';
import { toWalSegmentSize } from '../wal/wal-segment-size.ts';
import { directorySize } from './backup-size.ts';
import { chooseBackupStorage, serverCompressionDetail } from './backup-storage.ts';
import { fetchExternalConfig } from './external-config.ts';
import { storeExternalConfig } from './external-config-store.ts';
import { type ProgressListener, receiveBaseBackup } from './receive-base-backup.ts';
import { syncTree } from './sync-tree.ts';

/** What `backup` is asked for beyond the server's settings. */
export interface BackupRequest {
  readonly name?: string | undefined;
  /** Fast checkpoint (also `immediate_checkpoint = on`). */
  readonly immediateCheckpoint?: boolean;
  /** Workers: server-side zstd workers, and files synced at once. */
  readonly jobs?: number;
  readonly logger: Logger;
  readonly onProgress?: ProgressListener;
  /** A phase begins: told once per step, for the log and non-terminal output. */
  readonly onPhase?: (phase: string) => void;
}

/**
 * `backup SERVER` with `backup_method = postgres`: a whole-cluster base backup over the
 * replication protocol (BASE_BACKUP, no WAL in the stream), unpacked into `base/<id>/data/` and
 * `base/<id>/<oid>/` or stored as compressed archives, with the manifest, the configuration
 * files that live outside PGDATA (`base/<id>/external/`), and backup.info written STARTED first
 * and DONE only after every file is fsynced. Any failure leaves it FAILED with the error
 * recorded; a killed process is recognised as such by the next command that lists backups.
 * Holds the server's backup lock.
 */
export async function runBackup(server: ServerConfig, request: BackupRequest): Promise<BackupInfo> {
  const settings = server.settings;
  const logger = request.logger.child({ server: server.name });
  const phase = (text: string) => {
    logger.info(text);
    request.onPhase?.(text);
  };
  if (settings.backup_method !== 'postgres') {
    throw new BarkeepError('configInvalidValue', {
      what: 'unsupported backup method',
      subject: server.name,
      why: `backup_method = ${settings.backup_method} is not available yet; use postgres`,
    });
  }
  const conninfo = settings.conninfo;
  if (!conninfo)
    throw new BarkeepError('configInvalidValue', {
      what: 'cannot back up',
      subject: server.name,
      why: 'conninfo is not set',
    });
  const layout = serverLayout(server.name, settings);
  await ensureServerLayout(layout);
  const lock = await acquireLock(lockPath(layout, 'backup'), 'backup');
  try {
    const systemid = await expectedSystemId(layout, conninfo, logger);
    const started = new Date();
    const backupId = await newBackupId(layout, started);
    const paths = backupDirectory(layout, backupId);
    await recordBackupProcess(layout, backupId);
    let info: BackupInfo = {
      ...emptyBackupInfo(backupId),
      status: 'STARTED',
      server_name: server.name,
      mode: 'postgres',
      systemid,
      begin_time: backupTimestamp(started),
      ...(request.name ? { backup_name: request.name } : {}),
    };
    await writeBackupInfo(paths.info, info);
    phase(`Starting backup ${backupId} of server ${server.name} (backup_method postgres)`);
    try {
      info = await copyCluster(server, conninfo, info, paths, request, phase);
      await writeBackupInfo(paths.info, info);
      phase(
        `Backup ${backupId} of server ${server.name} completed: ${info.size} bytes, WAL ${info.begin_wal} to ${info.end_wal}`,
      );
      return info;
    } catch (error) {
      const why = isBarkeepError(error)
        ? error.toLine()
        : error instanceof Error
          ? error.message
          : String(error);
      await writeBackupInfo(paths.info, {
        ...info,
        status: 'FAILED',
        error: why.replace(/\s+/g, ' '),
        end_time: backupTimestamp(new Date()),
      });
      logger.error(`backup ${backupId} failed: ${why}`);
      throw error;
    } finally {
      await clearBackupProcess(layout, backupId);
    }
  } finally {
    await lock.release();
  }
}

async function copyCluster(
  server: ServerConfig,
  conninfo: string,
  started: BackupInfo,
  paths: ReturnType<typeof backupDirectory>,
  request: BackupRequest,
  phase: (text: string) => void,
): Promise<BackupInfo> {
  const settings = server.settings;
  const jobs = Math.max(1, request.jobs ?? settings.parallel_jobs);
  const client = await openConnection(conninfo, {
    applicationName: 'barkeep_backup',
    timeoutMs: 10_000,
  });
  let facts: Awaited<ReturnType<typeof readServerFacts>>;
  let tablespaceNames: Map<number, string>;
  let external: Awaited<ReturnType<typeof fetchExternalConfig>>;
  try {
    facts = await readServerFacts(client);
    const rows = await runQuery<{ oid: string; spcname: string }>(
      client,
      "SELECT oid::text, spcname FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')",
    );
    tablespaceNames = new Map(rows.map((row) => [Number(row.oid), row.spcname]));
    phase('Collecting the configuration files outside PGDATA');
    external = await fetchExternalConfig(client, { sshCommand: settings.ssh_command });
  } finally {
    await client.end();
  }
  for (const warning of external.warnings) request.logger.warn(warning);
  const stored = await storeExternalConfig(paths.directory, external.files);
  await writeFileDurable(
    join(paths.directory, 'external-config.json'),
    `${JSON.stringify(stored, null, 2)}\n`,
  );
  if (stored.length > 0) phase(`Kept ${stored.length} configuration file(s) from outside PGDATA`);

  const version = facts.serverVersionNum;
  const storage = chooseBackupStorage(settings, version);
  const replication = await ReplicationConnection.open(settings.streaming_conninfo ?? conninfo, {
    applicationName: 'barkeep_backup',
  });
  const copyStarted = Date.now();
  let received: Awaited<ReturnType<typeof receiveBaseBackup>>;
  try {
    phase(
      `Copying the cluster (${storage.kind === 'plain' ? 'plain' : `${storage.format} compressed on the ${storage.onServer ? 'server' : 'client'}`})`,
    );
    const detail = serverCompressionDetail(storage, jobs);
    const stream = replication.baseBackup(
      {
        label: `barkeep backup ${started.backup_id}`,
        fastCheckpoint: request.immediateCheckpoint ?? settings.immediate_checkpoint,
        ...(storage.kind === 'compressed' && storage.onServer
          ? { serverCompression: { method: storage.format, ...(detail ? { detail } : {}) } }
          : {}),
      },
      version,
    );
    received = await receiveBaseBackup(stream, paths.directory, storage, request.onProgress);
  } finally {
    await replication.close();
  }
  const copyTime = (Date.now() - copyStarted) / 1000;
  phase('Flushing every file to disk');
  await syncTree(paths.directory, Math.max(8, jobs * 2));

  const segmentSize = toWalSegmentSize(facts.walSegmentSize ?? 16 * 1024 * 1024);
  const timeline = toTimelineId(received.start.timeline);
  const endTimeline = toTimelineId(received.end.timeline);
  const size = await directorySize(paths.directory);
  return {
    ...started,
    status: 'DONE',
    backup_label: received.backupLabel,
    begin_xlog: formatLsn(received.start.lsn),
    begin_wal: segmentName(timeline, segmentOfLsn(received.start.lsn, segmentSize), segmentSize),
    begin_offset: segmentOffsetOfLsn(received.start.lsn, segmentSize),
    end_xlog: formatLsn(received.end.lsn),
    end_wal: segmentName(endTimeline, segmentBeforeLsn(received.end.lsn, segmentSize), segmentSize),
    end_offset: segmentOffsetOfLsn(received.end.lsn, segmentSize),
    end_time: backupTimestamp(new Date()),
    timeline,
    version,
    pgdata: facts.dataDirectory ?? external.dataDirectory,
    config_file: external.configFile,
    hba_file: external.hbaFile,
    ident_file: external.identFile,
    included_files: external.includedFiles.length > 0 ? external.includedFiles : null,
    tablespaces: tablespaceList(received.tablespaces, tablespaceNames),
    xlog_segment_size: segmentSize,
    size,
    cluster_size: received.bytes,
    data_checksums: facts.dataChecksums === undefined ? null : facts.dataChecksums ? 'on' : 'off',
    compression: storage.kind === 'plain' ? null : storage.format,
    copy_stats: {
      copy_time: copyTime,
      total_time: (Date.now() - started.begin_time!.date.getTime()) / 1000,
    },
  };
}

function tablespaceList(
  received: readonly { oid: number | undefined; location: string | undefined }[],
  names: ReadonlyMap<number, string>,
): BackupInfo['tablespaces'] {
  const list = received
    .filter((tablespace) => tablespace.oid !== undefined)
    .map((tablespace) => ({
      name: names.get(tablespace.oid!) ?? String(tablespace.oid),
      oid: tablespace.oid!,
      location: tablespace.location ?? '',
    }));
  return list.length > 0 ? list : null;
}
