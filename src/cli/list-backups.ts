import { incrementalSize, type ListedBackup, prettySize } from '../backup/backup-listing.ts';
import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `list-backups SERVER...|all` (alias `list-backup`): newest first, one line each. */
export const registerListBackups: RegisterCommand = (program, runtime) => {
  program
    .command('list-backups')
    .alias('list-backup')
    .summary("list a server's backups, newest first")
    .description(
      'One line per backup, newest first: ID, name, end time, size, size of the WAL archived after it, status when not DONE, and the retention status when it is not VALID (OBSOLETE, OBSOLETE*, KEEP:FULL, KEEP:STANDALONE; KEEP also without a retention policy).',
    )
    .argument('<SERVER...>', "server names, or 'all'")
    .option('--minimal', 'print the backup IDs only')
    .action(
      runtime.action(
        'list-backups',
        async (context, names: string[], options: { minimal?: boolean }) => {
          const config = await context.config();
          const { serverBackups } = await import('../backup/backup-listing.ts');
          const { listingRetention, shownRetentionStatus } = await import(
            '../retention/catalog-backups.ts'
          );
          const document: Record<string, unknown[]> = {};
          for (const server of selectServers(config, names)) {
            const { backups, listing } = await serverBackups(server);
            const retention = listingRetention(server.settings, backups);
            const statusOf = (id: string, keep: ListedBackup['keep']) =>
              shownRetentionStatus(retention, id, keep);
            for (const problem of listing.problems) context.logger.warn(problem.error.toLine());
            const newestFirst = [...backups].reverse();
            if (context.globals.format === 'json') {
              document[server.name] = newestFirst.map(({ info, walSize, keep }) => ({
                backup_id: info.backup_id,
                backup_name: info.backup_name ?? null,
                status: info.status,
                end_time: info.end_time?.text ?? null,
                size_bytes: info.size,
                deduplicated_size_bytes: info.deduplicated_size,
                wal_size_bytes: walSize,
                keep: keep ?? null,
                retention_status: statusOf(info.backup_id, keep),
                error: info.error,
              }));
              continue;
            }
            for (const { info, walSize, keep } of newestFirst) {
              if (options.minimal) {
                context.print(info.backup_id);
                continue;
              }
              const name = info.backup_name ? ` '${info.backup_name}'` : '';
              if (info.status !== 'DONE') {
                context.print(
                  `${server.name} ${info.backup_id}${name} - ${info.status}${info.error ? ` (${info.error})` : ''}`,
                );
                continue;
              }
              const end = info.end_time ? info.end_time.date.toString().slice(0, 24) : '-';
              // Barman's suffix: the retention status unless VALID (KEEP:* also when not enforced).
              const status = statusOf(info.backup_id, keep);
              const suffix = status && status !== 'VALID' && status !== '-' ? ` - ${status}` : '';
              // With reuse_backup = link, what this backup added to the disk (Barman's
              // deduplicated_size), when hard links saved anything.
              const added = incrementalSize(info.size, info.deduplicated_size);
              const incremental = added === undefined ? '' : ` - Incremental: ${prettySize(added)}`;
              context.print(
                `${server.name} ${info.backup_id}${name} - ${end} - Size: ${prettySize(info.size)}${incremental} - WAL Size: ${prettySize(walSize)}${suffix}`,
              );
            }
          }
          if (context.globals.format === 'json') context.printJson(document);
          return 0;
        },
      ),
    );
};
