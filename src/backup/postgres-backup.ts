import type { BackupInfo } from '../catalog/backup-info.ts';
import { backupTimestamp } from '../catalog/backup-timestamp.ts';
import { openConnection } from '../postgres/connect.ts';
import { ReplicationConnection } from '../postgres/replication/replication-connection.ts';
import { runQuery } from '../postgres/run-query.ts';
import { readServerFacts } from '../postgres/server-facts.ts';
import { formatLsn } from '../wal/lsn.ts';
import { segmentName } from '../wal/segment-name.ts';
import { toTimelineId } from '../wal/timeline.ts';
import { segmentBeforeLsn, segmentOffsetOfLsn, segmentOfLsn } from '../wal/wal-segment.ts';
import { toWalSegmentSize } from '../wal/wal-segment-size.ts';
import type { BackupContext } from './backup-context.ts';
import { directoryUsage } from './backup-size.ts';
import { chooseBackupStorage, serverCompressionDetail } from './backup-storage.ts';
import type { ExternalConfig } from './external-config.ts';
import { keepExternalConfig } from './keep-external-config.ts';
import { receiveBaseBackup } from './receive-base-backup.ts';
import { syncTree } from './sync-tree.ts';

/**
 * `backup_method = postgres`: a whole-cluster base backup over the replication protocol
 * (BASE_BACKUP, no WAL in the stream), unpacked into `base/<id>/data/` and `base/<id>/<oid>/`
 * or stored as compressed archives, with the server's manifest and the configuration files
 * that live outside PGDATA; every file fsynced before the DONE backup.info is returned.
 */
export async function copyClusterWithBaseBackup(context: BackupContext): Promise<BackupInfo> {
  const { server, conninfo, started, paths, request, phase } = context;
  const settings = server.settings;
  const jobs = Math.max(1, request.jobs ?? settings.parallel_jobs);
  const client = await openConnection(conninfo, {
    applicationName: 'barkeep_backup',
    timeoutMs: 10_000,
  });
  let facts: Awaited<ReturnType<typeof readServerFacts>>;
  let tablespaceNames: Map<number, string>;
  let external: ExternalConfig;
  try {
    facts = await readServerFacts(client);
    const rows = await runQuery<{ oid: string; spcname: string }>(
      client,
      "SELECT oid::text, spcname FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')",
    );
    tablespaceNames = new Map(rows.map((row) => [Number(row.oid), row.spcname]));
    external = await keepExternalConfig(client, {
      sshCommand: settings.ssh_command,
      backupDirectory: paths.directory,
      logger: request.logger,
      phase,
    });
  } finally {
    await client.end();
  }

  const version = facts.serverVersionNum;
  const storage = chooseBackupStorage(settings, version, jobs);
  const replication = await ReplicationConnection.open(settings.streaming_conninfo ?? conninfo, {
    applicationName: 'barkeep_backup',
  });
  const copyStarted = Date.now();
  let received: Awaited<ReturnType<typeof receiveBaseBackup>>;
  try {
    phase(
      `Copying the cluster (${storage.kind === 'plain' ? 'plain' : `${storage.format} compressed on the ${storage.onServer ? 'server' : 'client'}`})`,
    );
    const detail = serverCompressionDetail(storage);
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
  const usage = await directoryUsage(paths.directory);
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
    size: usage.size,
    deduplicated_size: usage.deduplicated,
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
