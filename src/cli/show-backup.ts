import { incrementalSize, type ListedBackup, prettySize } from '../backup/backup-listing.ts';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `show-backup SERVER ID`: Barman's sections about one backup. */
export const registerShowBackup: RegisterCommand = (program, runtime) => {
  program
    .command('show-backup')
    .summary('show everything about one backup')
    .description(
      'Show one backup: server, status, PostgreSQL version, base backup information (WAL, LSNs, times, size), tablespaces, configuration files kept, WAL archived after it, and its neighbours. ID may be an ID, a name, latest/last, oldest/first or last-failed.',
    )
    .argument('<SERVER>', 'server name')
    .argument('<ID>', 'backup ID, name, or shortcut')
    .action(
      runtime.action('show-backup', async (context, serverName: string, selector: string) => {
        const config = await context.config();
        const [server] = selectServers(config, [serverName]);
        const { serverBackups } = await import('../backup/backup-listing.ts');
        const { selectBackup } = await import('../catalog/backup-selector.ts');
        const all = await serverBackups(server!);
        const info = selectBackup(all.listing, selector);
        const index = all.backups.findIndex((backup) => backup.info.backup_id === info.backup_id);
        const listed = all.backups[index]!;
        const { listingRetention, shownRetentionStatus } = await import(
          '../retention/catalog-backups.ts'
        );
        const retention = listingRetention(server!.settings, all.backups);
        const status = shownRetentionStatus(retention, info.backup_id, listed.keep);
        if (context.globals.format === 'json') {
          context.printJson({ [server!.name]: { ...jsonOf(listed), retention_status: status } });
          return 0;
        }
        for (const line of describe(
          listed,
          all.backups[index - 1]?.info,
          all.backups[index + 1]?.info,
          status,
        ))
          context.print(line);
        return 0;
      }),
    );
};

function jsonOf({ info, walSize, walFiles, keep }: ListedBackup): Record<string, unknown> {
  const { extra: _extra, begin_time, end_time, ...fields } = info;
  return {
    ...fields,
    begin_time: begin_time?.text ?? null,
    end_time: end_time?.text ?? null,
    wal_size: walSize,
    wal_files: walFiles,
    keep: keep ?? null,
  };
}

function describe(
  { info, walSize, walFiles }: ListedBackup,
  previous: BackupInfo | undefined,
  next: BackupInfo | undefined,
  retentionStatus: string | null,
): string[] {
  const row = (label: string, value: unknown) => `${label.padEnd(23)}: ${value ?? '-'}`;
  const lines = [
    `Backup ${info.backup_id}:`,
    `  ${row('Server Name', info.server_name)}`,
    `  ${row('System Id', info.systemid)}`,
    `  ${row('Status', info.status)}`,
    ...(info.backup_name ? [`  ${row('Backup Name', info.backup_name)}`] : []),
    `  ${row('PostgreSQL Version', info.version)}`,
    `  ${row('PGDATA directory', info.pgdata)}`,
    ...(info.error ? [`  ${row('Error', info.error)}`] : []),
  ];
  if (info.tablespaces?.length) {
    lines.push('', '  Tablespaces:');
    for (const tablespace of info.tablespaces)
      lines.push(`    ${tablespace.name}: ${tablespace.location} (oid: ${tablespace.oid})`);
  }
  const configFiles = [
    info.config_file,
    info.hba_file,
    info.ident_file,
    ...(info.included_files ?? []),
  ].filter(Boolean);
  if (configFiles.length > 0) {
    lines.push('', '  Configuration files:');
    for (const file of new Set(configFiles)) lines.push(`    ${file}`);
  }
  lines.push(
    '',
    '  Base backup information:',
    `    ${row('Disk usage', prettySize(info.size))} (${prettySize((info.size ?? 0) + walSize)} with WALs)`,
    ...incrementalLine(info, row),
    `    ${row('Compression', info.compression ?? 'none')}`,
    `    ${row('Timeline', info.timeline)}`,
    `    ${row('Begin WAL', info.begin_wal)}`,
    `    ${row('End WAL', info.end_wal)}`,
    `    ${row('Begin time', info.begin_time?.text)}`,
    `    ${row('End time', info.end_time?.text)}`,
    `    ${row('Copy time', info.copy_stats?.['copy_time'] !== undefined ? `${Number(info.copy_stats['copy_time']).toFixed(1)} seconds` : '-')}`,
    `    ${row('Begin Offset', info.begin_offset)}`,
    `    ${row('End Offset', info.end_offset)}`,
    `    ${row('Begin LSN', info.begin_xlog)}`,
    `    ${row('End LSN', info.end_xlog)}`,
    '',
    '  WAL information:',
    `    ${row('No of files', walFiles)}`,
    `    ${row('Disk usage', prettySize(walSize))}`,
    '',
    '  Catalog information:',
    `    ${row('Retention Policy', retentionStatus ?? 'not enforced')}`,
    `    ${row('Previous Backup', previous ? previous.backup_id : '- (this is the oldest base backup)')}`,
    `    ${row('Next Backup', next ? next.backup_id : '- (this is the latest base backup)')}`,
  );
  return lines;
}

/** Barman's `Incremental size` line: what a reuse_backup = link backup added, and the saving. */
function incrementalLine(
  info: BackupInfo,
  row: (label: string, value: unknown) => string,
): string[] {
  const added = incrementalSize(info.size, info.deduplicated_size);
  if (added === undefined || !info.size) return [];
  const saved = ((info.size - added) / info.size) * 100;
  return [`    ${row('Incremental size', prettySize(added))} (-${saved.toFixed(2)}%)`];
}
