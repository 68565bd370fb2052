import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `check-backup SERVER ID`: the WAL from begin_wal to end_wal is in the archive. */
export const registerCheckBackup: RegisterCommand = (program, runtime) => {
  program
    .command('check-backup')
    .summary("check that a backup's WAL is archived")
    .description(
      'Check that every WAL segment from the begin_wal to the end_wal of a backup is in the archive, so the backup can be recovered. Exit 3 naming the missing segments, or when the backup is still running or FAILED. A WAITING_FOR_WALS backup whose WAL is all there is recorded DONE. ID may be an ID, a name, latest/last, oldest/first or last-failed.',
    )
    .argument('<SERVER>', 'server name')
    .argument('<ID>', 'backup ID, name, or shortcut')
    .action(
      runtime.action('check-backup', async (context, serverName: string, selector: string) => {
        const config = await context.config();
        const [server] = selectServers(config, [serverName]);
        const { checkBackup } = await import('../backup/check-backup.ts');
        const { info, segments, markedDone } = await checkBackup(server!, selector);
        context.print(
          `Backup ${info.backup_id} of server ${server!.name}: OK (${segments.length} WAL segment${segments.length === 1 ? '' : 's'} from ${info.begin_wal} to ${info.end_wal} archived${markedDone ? '; now DONE' : ''})`,
        );
        return 0;
      }),
    );
};
