import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `delete SERVER ID`. */
export const registerDelete: RegisterCommand = (program, runtime) => {
  program
    .command('delete')
    .summary('delete one backup')
    .description(
      'Delete one backup (ID, name, or shortcut). Refused for a kept backup and when fewer DONE backups than minimum_redundancy would remain.',
    )
    .argument('<SERVER>', 'server name')
    .argument('<ID>', 'backup ID, name, or shortcut')
    .action(
      runtime.action('delete', async (context, serverName: string, selector: string) => {
        const config = await context.config();
        const [server] = selectServers(config, [serverName]);
        const { deleteBackup } = await import('../backup/delete-backup.ts');
        const info = await deleteBackup(server!, selector);
        context.print(`Deleted backup ${info.backup_id} of server ${server!.name}`);
        return 0;
      }),
    );
};
