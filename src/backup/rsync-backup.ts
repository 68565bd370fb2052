import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import type { BackupInfo, Tablespace } from '../catalog/backup-info.ts';
import { ioError } from '../errors/system-error.ts';
import { openConnection } from '../postgres/connect.ts';
import { runQuery } from '../postgres/run-query.ts';
import { readServerFacts } from '../postgres/server-facts.ts';
import { writeFileDurable } from '../storage/durable-write.ts';
import { formatLsn } from '../wal/lsn.ts';
import { segmentName } from '../wal/segment-name.ts';
import { segmentBeforeLsn, segmentOffsetOfLsn, segmentOfLsn } from '../wal/wal-segment.ts';
import { toWalSegmentSize } from '../wal/wal-segment-size.ts';
import type { BackupContext } from './backup-context.ts';
import { BackupFileDigests } from './backup-file-digests.ts';
import { formatBackupManifest } from './backup-manifest-writer.ts';
import { parseBackupLabel, startBackup, stopBackup } from './backup-session.ts';
import { directoryUsage } from './backup-size.ts';
import { FileDigestPool } from './file-digest-pool.ts';
import { keepExternalConfig } from './keep-external-config.ts';
import { type CopiedTrees, type CopySource, copyTrees } from './rsync-copy.ts';
import { checkRsyncOnHosts, describeHost, resolveRsyncHost, sshSettings } from './rsync-host.ts';
import { findReuseBase } from './rsync-reuse.ts';
import { withFastCiphers } from './ssh-cipher-order.ts';
import { type BackupSsh, openBackupSsh } from './ssh-connection-sharing.ts';
import { syncTree } from './sync-tree.ts';

/**
 * The `mode` backup.info records for both rsync methods: Barman's executor mode joined with its
 * strategy (`rsync-concurrent`: non-exclusive pg_backup_start), so Barman reads it as its own.
 */
export const rsyncBackupMode = 'rsync-concurrent';

/**
 * `backup_method = rsync` (over ssh_command) and `local-rsync` (same host): on a normal
 * connection, `pg_backup_start(label, fast)` in non-exclusive mode, the session kept open while
 * rsync copies PGDATA into `base/<id>/data/` and each tablespace into `base/<id>/<oid>/`
 * (see {@link copyTrees}), then `pg_backup_stop()`, whose `backup_label` and `tablespace_map`
 * are written into `data/`, with `pg_tblspc/<oid>` linking to the tablespace copies as in a
 * postgres-method backup. Every file is checksummed into a PostgreSQL-format `backup_manifest`
 * (SHA-256) and fsynced; the configuration files outside PGDATA are kept as with the postgres
 * method. With `reuse_backup = link|copy` unchanged files come from the previous backup, and
 * `deduplicated_size` says what this one added.
 */
export async function copyClusterWithRsync(context: BackupContext): Promise<BackupInfo> {
  const { server, request, phase } = context;
  const settings = server.settings;
  const method = settings.backup_method === 'rsync' ? 'rsync' : 'local-rsync';
  const jobs = Math.max(1, request.jobs ?? settings.parallel_jobs);
  const configured = await resolveRsyncHost(method, settings.ssh_command, server.name);
  phase(`Checking rsync here and on ${describeHost(configured)}`);
  // What ssh would use for the host, read once for both adjustments below.
  const sshConfig = await sshSettings(configured);
  const ssh = await openBackupSsh(await withFastCiphers(configured, sshConfig), sshConfig);
  try {
    return await copyWithSsh(context, method, jobs, ssh);
  } finally {
    await ssh.close();
  }
}

/** The backup itself, once the ssh connections are set up. */
async function copyWithSsh(
  context: BackupContext,
  method: 'rsync' | 'local-rsync',
  jobs: number,
  ssh: BackupSsh,
): Promise<BackupInfo> {
  const { server, conninfo, started, paths, layout, request, phase } = context;
  const settings = server.settings;
  const host = ssh.shared;
  // Over ssh each of these steps costs a connection's round trips: they overlap where they are
  // independent (awaited before they matter; see settled()).
  const rsyncChecked = settled(checkRsyncOnHosts(host));
  const reuseMode = request.reuseBackup ?? settings.reuse_backup;
  const { base, reason } = await findReuseBase(layout, started.backup_id, reuseMode);
  if (reason) context.logger.info(`reuse_backup = ${reuseMode}: copying everything, ${reason}`);

  const client = await openConnection(conninfo, {
    applicationName: 'barkeep_backup',
    timeoutMs: 10_000,
  });
  const pool = new FileDigestPool();
  try {
    const facts = await readServerFacts(client);
    const tablespaces = await readTablespaces(client);
    // The configuration files outside PGDATA are fetched while the cluster is copied.
    const externalKept = settled(
      keepExternalConfig(client, {
        sshCommand: host.kind === 'ssh' ? host.sshCommand : undefined,
        backupDirectory: paths.directory,
        logger: request.logger,
        phase,
      }),
    );
    const pgdata = facts.dataDirectory ?? (await externalKept()).dataDirectory;
    const version = facts.serverVersionNum;
    const fast = request.immediateCheckpoint ?? settings.immediate_checkpoint;
    await rsyncChecked();
    phase(`Starting the backup on the server (${fast ? 'fast' : 'spread'} checkpoint)`);
    const start = await startBackup(client, version, `barkeep backup ${started.backup_id}`, fast);
    const copyStarted = Date.now();
    const via = base ? `, reusing ${base.info.backup_id} (${base.mode})` : '';
    phase(`Copying the cluster with rsync from ${describeHost(host)} (${jobs} job(s)${via})`);
    const digests = new BackupFileDigests(pool, base ? base.mode : 'off');
    const copied = await copyTrees({
      host,
      // Several data runs at once each get a connection (and an encrypting process) of their own.
      bulkHost: jobs > 1 ? ssh.direct : host,
      trees: copySources(pgdata, tablespaces, paths),
      major: Math.floor(version / 10000),
      jobs,
      base,
      compress: method === 'rsync' && settings.network_compression,
      digests,
      onProgress: request.onProgress,
    });
    const external = await externalKept();
    phase('Stopping the backup on the server');
    const stop = await stopBackup(client, version);
    const copyTime = (Date.now() - copyStarted) / 1000;
    await client.end().catch(() => undefined);
    if (copied.vanished > 0) {
      context.logger.info(`${copied.vanished} file(s) vanished during the copy (no harm)`);
    }

    await writeBackupFiles(paths.data, stop.backupLabel, stop.tablespaceMap, tablespaces);
    phase('Checksumming and flushing every file');
    const label = parseBackupLabel(stop.backupLabel);
    const segmentSize = toWalSegmentSize(facts.walSegmentSize ?? 16 * 1024 * 1024);
    await writeManifest(paths.data, digests, copied, {
      timeline: label.timeline,
      startLsn: formatLsn(label.startLsn),
      endLsn: formatLsn(stop.endLsn),
    });
    await syncTree(paths.directory, 8, { directoriesOnly: true });
    const usage = await directoryUsage(paths.directory);
    const { startLsn, timeline } = label;
    return {
      ...started,
      status: 'DONE',
      mode: rsyncBackupMode,
      begin_time: start.startedAt,
      end_time: stop.stoppedAt,
      backup_label: stop.backupLabel,
      begin_xlog: formatLsn(startLsn),
      begin_wal: segmentName(timeline, segmentOfLsn(startLsn, segmentSize), segmentSize),
      begin_offset: segmentOffsetOfLsn(startLsn, segmentSize),
      end_xlog: formatLsn(stop.endLsn),
      end_wal: segmentName(timeline, segmentBeforeLsn(stop.endLsn, segmentSize), segmentSize),
      end_offset: segmentOffsetOfLsn(stop.endLsn, segmentSize),
      timeline,
      version,
      pgdata,
      config_file: external.configFile,
      hba_file: external.hbaFile,
      ident_file: external.identFile,
      included_files: external.includedFiles.length > 0 ? external.includedFiles : null,
      tablespaces: tablespaces.length > 0 ? tablespaces : null,
      xlog_segment_size: segmentSize,
      size: usage.size,
      deduplicated_size: usage.deduplicated,
      cluster_size: copied.bytes,
      data_checksums: facts.dataChecksums === undefined ? null : facts.dataChecksums ? 'on' : 'off',
      compression: null,
      copy_stats: {
        copy_time: copyTime,
        total_time: (Date.now() - started.begin_time!.date.getTime()) / 1000,
        number_of_workers: jobs,
      },
    };
  } finally {
    // Ending the session also ends a backup still in progress (non-exclusive mode).
    await client.end().catch(() => undefined);
    await pool.close();
  }
}

/**
 * Starts `work` now and returns how to await it later: a failure is kept for that await (and
 * never reported as unhandled when an earlier step fails first and it is not awaited at all).
 */
function settled<T>(work: Promise<T>): () => Promise<T> {
  work.catch(() => undefined);
  return () => work;
}

/** The cluster's own tablespaces (not pg_default/pg_global) with their locations. */
async function readTablespaces(client: Client): Promise<Tablespace[]> {
  const rows = await runQuery<{ oid: string; spcname: string; location: string }>(
    client,
    "SELECT oid::text, spcname, pg_tablespace_location(oid) AS location FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid",
  );
  // An in-place tablespace (a relative location, a developer option) lives inside PGDATA.
  return rows
    .filter((row) => row.location.startsWith('/'))
    .map((row) => ({ name: row.spcname, oid: Number(row.oid), location: row.location }));
}

/** PGDATA, then each tablespace; a tablespace inside PGDATA is left out of PGDATA's copy. */
function copySources(
  pgdata: string,
  tablespaces: readonly Tablespace[],
  paths: BackupContext['paths'],
): CopySource[] {
  const inside = tablespaces
    .filter((tablespace) => tablespace.location.startsWith(`${pgdata}/`))
    .map((tablespace) => tablespace.location.slice(pgdata.length + 1));
  return [
    { source: pgdata, target: paths.data, skip: inside },
    ...tablespaces.map((tablespace) => ({
      source: tablespace.location,
      target: paths.tablespace(tablespace.oid),
      tablespaceOid: tablespace.oid,
    })),
  ];
}

/**
 * backup_label and tablespace_map as pg_backup_stop returned them, and `pg_tblspc/<oid>`
 * links to the tablespace copies beside data/ (recovery relinks them to their places).
 */
async function writeBackupFiles(
  data: string,
  backupLabel: string,
  tablespaceMap: string,
  tablespaces: readonly Tablespace[],
): Promise<void> {
  const write = async (name: string, text: string) => {
    const path = join(data, name);
    await writeFile(path, text, { mode: 0o600 }).catch((error: unknown) => {
      throw ioError('cannot write backup file', path, error);
    });
  };
  await write('backup_label', backupLabel);
  if (tablespaceMap !== '') await write('tablespace_map', tablespaceMap);
  for (const tablespace of tablespaces) {
    const link = join(data, 'pg_tblspc', String(tablespace.oid));
    try {
      await mkdir(join(data, 'pg_tblspc'), { recursive: true, mode: 0o700 });
      await rm(link, { force: true });
      await symlink(`../../${tablespace.oid}`, link);
    } catch (error) {
      throw ioError('cannot link tablespace copy', link, error);
    }
  }
}

/** Waits for every checksum and writes `data/backup_manifest` durably. */
async function writeManifest(
  data: string,
  digests: BackupFileDigests,
  copied: CopiedTrees,
  wal: Parameters<typeof formatBackupManifest>[1],
): Promise<void> {
  const entries = await digests.finish(copied.digestTrees);
  await writeFileDurable(join(data, 'backup_manifest'), formatBackupManifest(entries, wal));
}
