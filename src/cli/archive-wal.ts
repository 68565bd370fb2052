import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `archive-wal SERVER...|all`: move incoming/ and completed streaming/ files into the archive. */
export const registerArchiveWal: RegisterCommand = (program, runtime) => {
  program
    .command('archive-wal')
    .summary('archive the WAL files waiting in incoming/ and streaming/')
    .description(
      'Check and store every file in incoming/ (left there by an rsync or cp archive_command) and every completed segment in streaming/, exactly as put-wal does. Sources are removed only once stored durably; rejected files move to errors/. Safe to run from cron while other commands run.',
    )
    .argument('<SERVER...>', "server names, or 'all'")
    .action(
      runtime.action('archive-wal', async (context, names: string[]) => {
        const config = await context.config();
        const { archiveIncoming } = await import('../archive/archive-incoming.ts');
        let failed = false;
        for (const server of selectServers(config, names)) {
          const result = await archiveIncoming(
            server,
            context.logger.child({ server: server.name }),
          );
          for (const name of result.archived) context.print(`\t${name}`);
          if (result.archived.length > 0 || result.rejected.length > 0) {
            context.print(
              `Archived ${result.archived.length} WAL file(s) for server ${server.name}${result.rejected.length ? `, rejected ${result.rejected.length}` : ''}`,
            );
          }
          if (result.rejected.length > 0) failed = true;
        }
        return failed ? 1 : 0;
      }),
    );
};
