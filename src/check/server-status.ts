import { listErrors } from '../archive/errors-directory.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import { probeServer } from '../postgres/probe-server.ts';
import { runningReceiver } from '../streaming/receiver-control.ts';
import { receiverSender } from './streaming-checks.ts';

/** One `label: value` line of `status`, with a stable key for `-f json`. */
export interface StatusLine {
  readonly key: string;
  readonly label: string;
  readonly value: string | number | boolean | null;
}

/**
 * `status`: the state of a server in one screen, as Barman shows it: PostgreSQL (version, data
 * directory, current WAL, archiver), the archive (errors), and barkeep's streaming receiver
 * (running or not, its slot, how far it has flushed, its lag in bytes and seconds). An
 * unreachable server is a line, not a failure.
 */
export async function serverStatus(
  server: ServerConfig,
  env?: NodeJS.ProcessEnv,
): Promise<StatusLine[]> {
  const settings = server.settings;
  const layout = serverLayout(server.name, settings);
  const lines: StatusLine[] = [
    { key: 'description', label: 'Description', value: settings.description ?? null },
    { key: 'active', label: 'Active', value: settings.active },
  ];
  const receiver = await runningReceiver(server);
  if (settings.conninfo) {
    try {
      const probe = await probeServer(settings.conninfo, env);
      const { facts, archiver, replication } = probe;
      lines.push(
        { key: 'postgresql_version', label: 'PostgreSQL version', value: facts.serverVersion },
        {
          key: 'cluster_state',
          label: 'Cluster state',
          value: facts.isInRecovery ? 'in recovery' : 'in production',
        },
        {
          key: 'data_directory',
          label: 'PostgreSQL Data directory',
          value: facts.dataDirectory ?? null,
        },
        {
          key: 'current_xlog',
          label: 'Current WAL segment',
          value: replication.currentWalFile || null,
        },
        { key: 'current_lsn', label: 'Current LSN', value: replication.currentLsn },
        {
          key: 'archive_command',
          label: "PostgreSQL 'archive_command' setting",
          value: facts.archiveCommand ?? null,
        },
        {
          key: 'last_archived_wal',
          label: 'Last archived WAL',
          value: archiver.lastArchivedWal
            ? `${archiver.lastArchivedWal}, at ${archiver.lastArchivedTime?.toISOString()}`
            : null,
        },
        { key: 'failed_count', label: 'Failures of WAL archiver', value: archiver.failedCount },
      );
      if (settings.streaming_archiver) {
        const sender = receiverSender(server, replication);
        const slot = settings.slot_name
          ? replication.slots.find((candidate) => candidate.name === settings.slot_name)
          : undefined;
        lines.push(
          {
            key: 'receiver_state',
            label: 'Streaming receiver',
            value: receiver
              ? `running (pid ${receiver.pid}, since ${receiver.since})`
              : 'not running',
          },
          {
            key: 'receiver_connection',
            label: 'Receiver connection',
            value: sender ? `${sender.state} (${sender.syncState})` : 'none',
          },
          {
            key: 'receiver_flushed_lsn',
            label: 'Receiver flushed LSN',
            value: sender?.flushLsn ?? null,
          },
          {
            key: 'receiver_lag_bytes',
            label: 'Receiver lag (bytes)',
            value: sender?.flushLagBytes ?? null,
          },
          {
            key: 'receiver_lag_seconds',
            label: 'Receiver lag (seconds)',
            value: sender?.flushLagSeconds ?? null,
          },
          {
            key: 'replication_slot',
            label: 'Replication slot',
            value: settings.slot_name
              ? slot
                ? `${slot.name} (${slot.active ? 'active' : 'inactive'}, restart ${slot.restartLsn})`
                : `${settings.slot_name} (missing)`
              : null,
          },
        );
      }
    } catch (error) {
      if (!isBarkeepError(error)) throw error;
      lines.push({ key: 'postgresql', label: 'PostgreSQL', value: `unreachable (${error.why})` });
      if (settings.streaming_archiver) {
        lines.push({
          key: 'receiver_state',
          label: 'Streaming receiver',
          value: receiver ? `running (pid ${receiver.pid})` : 'not running',
        });
      }
    }
  }
  lines.push({
    key: 'archiver_errors',
    label: 'Files in errors/',
    value: (await listErrors(layout)).length,
  });
  return lines;
}
