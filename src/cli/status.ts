import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `status SERVER...|all`: the state of each server. */
export const registerStatus: RegisterCommand = (program, runtime) => {
  program
    .command('status')
    .summary("show a server's state: PostgreSQL, archiver, streaming receiver")
    .description(
      'Show the state of each server: PostgreSQL version and position, the archiver, the streaming receiver (PID, slot, flushed LSN, lag) and the archive.',
    )
    .argument('<SERVER...>', "server names, or 'all'")
    .action(
      runtime.action('status', async (context, names: string[]) => {
        const config = await context.config();
        const { serverStatus } = await import('../check/server-status.ts');
        const document: Record<string, Record<string, unknown>> = {};
        for (const server of selectServers(config, names)) {
          const lines = await serverStatus(server);
          if (context.globals.format === 'json') {
            document[server.name] = Object.fromEntries(lines.map((line) => [line.key, line.value]));
            continue;
          }
          context.print(`Server ${server.name}:`);
          for (const line of lines) context.print(`\t${line.label}: ${line.value ?? 'None'}`);
        }
        if (context.globals.format === 'json') context.printJson(document);
        return 0;
      }),
    );
};
