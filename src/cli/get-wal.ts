import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';
import { deliverWal, getWalExitCode } from './get-wal-delivery.ts';

/** `get-wal SERVER WAL_NAME`: restore_command's entry point. */
export const registerGetWal: RegisterCommand = (program, runtime) => {
  program
    .command('get-wal')
    .summary('write an archived WAL file to stdout or a directory (restore_command)')
    .description(
      "Write the decompressed WAL file to stdout (`restore_command = 'barkeep get-wal SERVER %f > %p'`) or into DIR. Exit 1 when the archive does not have it, so PostgreSQL moves on; 2 or more only for real faults.",
    )
    .argument('<SERVER>', 'server name')
    .argument('<WAL_NAME>', 'WAL file name (%f)')
    .option(
      '-o, --output-directory <DIR>',
      'write the file into DIR (atomically) instead of stdout',
    )
    .option('-P, --partial', 'also serve the streaming .partial segment')
    .option(
      '-p, --peek <N>',
      'print the names of up to N WAL files from WAL_NAME on that the archive holds',
      (value) => Number.parseInt(value, 10),
    )
    .option('-t, --test', 'only check that the archive can be read')
    .option('-z, --gzip', 'gzip the output (barman-wal-restore -z)')
    .action(
      runtime.action(
        'get-wal',
        async (
          context,
          serverName: string,
          walName: string,
          options: {
            outputDirectory?: string;
            partial?: boolean;
            peek?: number;
            test?: boolean;
            gzip?: boolean;
          },
        ) => {
          const config = await context.config();
          const [server] = selectServers(config, [serverName]);
          if (options.test) {
            context.print(`Ready to retrieve WAL files from the server ${server!.name}`);
            return 0;
          }
          if (options.peek !== undefined) {
            const { peekWal } = await import('../archive/peek-wal.ts');
            for (const name of await peekWal(server!, walName, options.peek)) context.print(name);
            return 0;
          }
          const { useWal } = await import('../archive/get-wal.ts');
          await useWal(server!, walName, { partial: options.partial ?? false }, (found) =>
            deliverWal(found, {
              ...(options.outputDirectory !== undefined
                ? { outputDirectory: options.outputDirectory }
                : {}),
              gzip: options.gzip ?? false,
              writeStdout: context.writeBinary,
            }),
          );
          return 0;
        },
        { exitCodeFor: getWalExitCode },
      ),
    );
};
