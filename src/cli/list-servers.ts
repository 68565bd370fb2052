import type { RegisterCommand } from './command-runtime.ts';

/** `list-servers [--minimal]`: one line per configured server, `name - description`. */
export const registerListServers: RegisterCommand = (program, runtime) => {
  program
    .command('list-servers')
    .summary('list the configured servers')
    .description('List the configured servers with their description; inactive ones are marked.')
    .option('--minimal', 'print the server names only')
    .action(
      runtime.action('list-servers', async (context, options: { minimal?: boolean }) => {
        const config = await context.config();
        const servers = [...config.servers.values()];
        if (context.globals.format === 'json') {
          context.printJson(
            Object.fromEntries(
              servers.map((server) => [
                server.name,
                {
                  description: server.settings.description ?? null,
                  active: server.settings.active,
                },
              ]),
            ),
          );
          return 0;
        }
        for (const server of servers) {
          if (options.minimal) {
            context.print(server.name);
            continue;
          }
          const inactive = server.settings.active ? '' : ' (inactive)';
          context.print(`${server.name} - ${server.settings.description ?? ''}${inactive}`);
        }
        return 0;
      }),
    );
};
