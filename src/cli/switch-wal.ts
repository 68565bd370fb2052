import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `switch-wal SERVER... [--force] [--archive] [--archive-timeout S]`. */
export const registerSwitchWal: RegisterCommand = (program, runtime) => {
  program
    .command('switch-wal')
    .summary('close the current WAL segment so it is archived now')
    .description(
      'Run pg_switch_wal() on the server; with --force a CHECKPOINT first so an idle server has WAL to switch; with --archive wait until the closed segment is stored in wals/.',
    )
    .argument('<SERVER...>', "server names, or 'all'")
    .option('--force', 'CHECKPOINT first, so there is something to switch')
    .option('--archive', 'wait until the closed segment is archived')
    .option(
      '--archive-timeout <S>',
      'seconds to wait with --archive',
      (value) => Number.parseInt(value, 10),
      30,
    )
    .action(
      runtime.action(
        'switch-wal',
        async (
          context,
          names: string[],
          options: { force?: boolean; archive?: boolean; archiveTimeout: number },
        ) => {
          const config = await context.config();
          const { switchWal } = await import('../archive/switch-wal.ts');
          for (const server of selectServers(config, names)) {
            const result = await switchWal(
              server,
              {
                force: options.force ?? false,
                archive: options.archive ?? false,
                archiveTimeoutSeconds: options.archiveTimeout,
                signal: context.interrupted(),
              },
              context.logger,
            );
            if (result.closedSegment)
              context.print(
                `${server.name}: closed ${result.closedSegment}${result.archived ? ', archived' : ''}`,
              );
          }
          return 0;
        },
      ),
    );
};
