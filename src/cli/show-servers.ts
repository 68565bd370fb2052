import { serverLayout } from '../catalog/server-layout.ts';
import { describeSettings } from '../config/describe-settings.ts';
import { selectServers } from '../config/select-servers.ts';
import { redactConninfo } from '../postgres/redact-conninfo.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `show-servers SERVER...|all`: every effective setting of each server, passwords redacted. */
export const registerShowServers: RegisterCommand = (program, runtime) => {
  program
    .command('show-servers')
    .summary("show a server's effective settings")
    .description(
      'Show every effective setting of the servers (defaults, global values and the server section merged), with the catalog directories; passwords are never shown.',
    )
    .argument('<SERVER...>', "server names, or 'all'")
    .action(
      runtime.action('show-servers', async (context, names: string[]) => {
        const config = await context.config();
        const document: Record<string, Record<string, unknown>> = {};
        for (const server of selectServers(config, names)) {
          const layout = serverLayout(server.name, server.settings);
          const rows = describeSettings(server.settings, redactConninfo, {
            backup_directory: layout.backupDirectory,
            basebackups_directory: layout.base,
            errors_directory: layout.errors,
            incoming_wals_directory: layout.incoming,
            streaming_wals_directory: layout.streaming,
            wals_directory: layout.wals,
            barman_lock_directory: layout.lockDirectory,
            config_file: server.file,
          });
          if (context.globals.format === 'json') {
            document[server.name] = Object.fromEntries(rows.map((row) => [row.name, row.json]));
            continue;
          }
          context.print(`Server ${server.name}:`);
          for (const row of rows) context.print(`\t${row.name}: ${row.text}`);
        }
        if (context.globals.format === 'json') context.printJson(document);
        return 0;
      }),
    );
};
