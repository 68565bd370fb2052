import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `rebuild-xlogdb SERVER...|all`: rebuild wals/xlog.db from the stored files. */
export const registerRebuildXlogDb: RegisterCommand = (program, runtime) => {
  program
    .command('rebuild-xlogdb')
    .summary('rebuild the WAL index xlog.db from the files in wals/')
    .description(
      'Rebuild wals/xlog.db from the files stored in wals/, as Barman does, e.g. after restoring a catalog from a copy.',
    )
    .argument('<SERVER...>', "server names, or 'all'")
    .action(
      runtime.action('rebuild-xlogdb', async (context, names: string[]) => {
        const config = await context.config();
        const { rebuildXlogDb } = await import('../archive/rebuild-xlog-db.ts');
        for (const server of selectServers(config, names)) {
          const count = await rebuildXlogDb(server);
          context.print(`Rebuilt ${server.name} xlog.db: ${count} WAL file(s)`);
        }
        return 0;
      }),
    );
};
