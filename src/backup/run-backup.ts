import { expectedSystemId } from '../archive/expected-system-id.ts';
import { type BackupInfo, emptyBackupInfo, writeBackupInfo } from '../catalog/backup-info.ts';
import { backupDirectory, newBackupId } from '../catalog/backup-paths.ts';
import { clearBackupProcess, recordBackupProcess } from '../catalog/backup-process.ts';
import { backupTimestamp } from '../catalog/backup-timestamp.ts';
import { ensureServerLayout, lockPath, serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode } from '../errors/system-error.ts';
import { backupHookRunner } from '../hooks/backup-hook-runner.ts';
import { isServerError } from '../postgres/connect-failure.ts';
import { acquireLock } from '../storage/process-lock.ts';
import type { BackupContext, BackupRequest } from './backup-context.ts';
import { copyClusterWithBaseBackup } from './postgres-backup.ts';
import { copyClusterWithRsync, rsyncBackupMode } from './rsync-backup.ts';

export type { BackupRequest } from './backup-context.ts';

/**
 * `backup SERVER`: the shared frame of every backup method. It takes the server's backup lock,
 * claims the backup ID, records the process, writes backup.info STARTED, has the method copy
 * the cluster (`postgres`: BASE_BACKUP over the replication protocol, postgres-backup.ts;
 * `rsync` / `local-rsync`: pg_backup_start, rsync, pg_backup_stop, rsync-backup.ts), each with
 * the configuration files outside PGDATA and a manifest, and writes backup.info DONE only after
 * every file is fsynced. Any failure leaves it FAILED with the error recorded; a killed process
 * is recognised as such by the next command that lists backups.
 */
export async function runBackup(server: ServerConfig, request: BackupRequest): Promise<BackupInfo> {
  const settings = server.settings;
  const logger = request.logger.child({ server: server.name });
  const phase = (text: string) => {
    logger.info(text);
    request.onPhase?.(text);
  };
  const method = settings.backup_method;
  if (method !== 'postgres' && method !== 'rsync' && method !== 'local-rsync') {
    throw new BarkeepError('configInvalidValue', {
      what: 'unsupported backup method',
      subject: server.name,
      why: `backup_method = ${method} is not available yet; use postgres, rsync or local-rsync`,
    });
  }
  const reuse = request.reuseBackup ?? settings.reuse_backup;
  if (method === 'postgres' && reuse !== 'off') {
    throw new BarkeepError('configInvalidValue', {
      what: 'cannot reuse files',
      subject: server.name,
      why: `reuse_backup = ${reuse} needs an rsync backup method; backup_method postgres copies everything`,
      hint: 'Set reuse_backup = off, or backup_method = rsync (with ssh_command) or local-rsync.',
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
  const hooks = backupHookRunner(server, layout, logger);
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
      mode: method === 'postgres' ? 'postgres' : rsyncBackupMode,
      systemid,
      begin_time: backupTimestamp(started),
      ...(request.name ? { backup_name: request.name } : {}),
    };
    await writeBackupInfo(paths.info, info);
    phase(`Starting backup ${backupId} of server ${server.name} (backup_method ${method})`);
    try {
      await hooks?.pre(backupId);
      const context: BackupContext = {
        server,
        conninfo,
        layout,
        paths,
        started: info,
        request,
        logger,
        phase,
      };
      info =
        method === 'postgres'
          ? await copyClusterWithBaseBackup(context)
          : await copyClusterWithRsync(context);
      await writeBackupInfo(paths.info, info);
      phase(
        `Backup ${backupId} of server ${server.name} completed: ${info.size} bytes, WAL ${info.begin_wal} to ${info.end_wal}`,
      );
      return info;
    } catch (caught) {
      const error = backupFailure(caught, backupId, server.name);
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
      await hooks?.post(backupId);
    }
  } finally {
    await lock.release();
  }
}

/**
 * What ended a backup, as barkeep reports it: an error the server sent (the walsender was
 * terminated, the server shut down) or a dropped connection becomes a BarkeepError naming the
 * backup instead of an "unexpected failure"; barkeep's own errors and anything else stay as
 * they are.
 */
function backupFailure(error: unknown, backupId: string, server: string): unknown {
  if (isBarkeepError(error) || !(error instanceof Error)) return error;
  const hint = `The backup is recorded FAILED; see the PostgreSQL log of server '${server}', then run the backup again.`;
  if (isServerError(error)) {
    const { code } = error as Error & { code: string };
    const unsupported = /does not support compression/.test(error.message)
      ? 'Set backup_compression_location = client (barkeep then compresses), or choose a method the server was built with; the backup is recorded FAILED.'
      : undefined;
    return new BarkeepError('postgresQuery', {
      what: 'base backup failed',
      subject: backupId,
      why: `the server ended it: ${error.message} (SQLSTATE ${code})`,
      hint: unsupported ?? hint,
      cause: error,
    });
  }
  if (errnoCode(error) !== undefined || /^Connection terminated/.test(error.message)) {
    return new BarkeepError('postgresConnection', {
      what: 'base backup failed',
      subject: backupId,
      why: `the connection to the server was lost: ${error.message}`,
      hint,
      cause: error,
    });
  }
  return error;
}
