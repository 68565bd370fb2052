import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `put-wal SERVER [FILE]`: archive_command's entry point. */
export const registerPutWal: RegisterCommand = (program, runtime) => {
  program
    .command('put-wal')
    .summary('archive one WAL file (archive_command), or a Barman put-wal tar stream on stdin')
    .description(
      "Archive one completed WAL file: `archive_command = 'barkeep put-wal SERVER %p'`. The file is checked against its name and the server's system identifier, compressed per `compression`, stored durably in wals/ and indexed in xlog.db. Without FILE, read the tar stream that Barman's barman-wal-archive sends (the file plus MD5SUMS or SHA256SUMS) from stdin.",
    )
    .argument('<SERVER>', 'server name')
    .argument('[FILE]', 'path of the WAL file (%p)')
    .option('-t, --test', 'only check that the server can receive WAL (barman-wal-archive --test)')
    .action(
      runtime.action(
        'put-wal',
        async (
          context,
          serverName: string,
          file: string | undefined,
          options: { test?: boolean },
        ) => {
          const config = await context.config();
          const [server] = selectServers(config, [serverName]);
          if (options.test) {
            context.print(`Ready to accept WAL files for the server ${server!.name}`);
            return 0;
          }
          if (file !== undefined) {
            const { putWalFile } = await import('../archive/put-wal.ts');
            await putWalFile(server!, file, context.logger);
            return 0;
          }
          const { putWalFromTarStream } = await import('../archive/put-wal-tar-stream.ts');
          const names = await putWalFromTarStream(server!, process.stdin, context.logger);
          context.logger.info(`received ${names.join(', ')}`);
          return 0;
        },
      ),
    );
};
