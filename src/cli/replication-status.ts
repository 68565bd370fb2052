import { selectServers } from '../config/select-servers.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `replication-status SERVER...|all`: the WAL senders of each server, barkeep's receiver marked. */
export const registerReplicationStatus: RegisterCommand = (program, runtime) => {
  program
    .command('replication-status')
    .summary("show the WAL senders of a server (standbys and barkeep's receiver)")
    .description(
      "Show every WAL sender of the server from pg_stat_replication (standbys, barkeep's receiver, other clients) with their positions and lags, and the replication slots.",
    )
    .argument('<SERVER...>', "server names, or 'all'")
    .action(
      runtime.action('replication-status', async (context, names: string[]) => {
        const config = await context.config();
        const { probeServer } = await import('../postgres/probe-server.ts');
        const document: Record<string, unknown> = {};
        for (const server of selectServers(config, names)) {
          if (!server.settings.conninfo) {
            throw new BarkeepError('configInvalidValue', {
              what: 'cannot read replication status',
              subject: server.name,
              why: 'conninfo is not set',
            });
          }
          const { replication } = await probeServer(server.settings.conninfo);
          const receiverName = server.settings.streaming_archiver_name;
          if (context.globals.format === 'json') {
            document[server.name] = replication;
            continue;
          }
          context.print(`Status of streaming clients for server '${server.name}':`);
          context.print(`  Current LSN on master: ${replication.currentLsn}`);
          if (replication.senders.length === 0) context.print('  No streaming clients attached');
          replication.senders.forEach((sender, index) => {
            const kind =
              sender.applicationName === receiverName
                ? 'WAL streamer (barkeep receive-wal)'
                : 'Standby or other client';
            context.print(`  ${index + 1}. ${kind}`);
            context.print(`     Application name: ${sender.applicationName}`);
            context.print(`     Sync stage      : ${sender.state} (${sender.syncState})`);
            context.print(
              `     Communication   : ${sender.clientAddress ?? 'unix socket'} (pid ${sender.pid})`,
            );
            context.print(`     Sent LSN        : ${sender.sentLsn ?? '-'}`);
            context.print(`     Write LSN       : ${sender.writeLsn ?? '-'}`);
            context.print(
              `     Flush LSN       : ${sender.flushLsn ?? '-'} (lag ${sender.flushLagBytes ?? '-'} bytes, ${sender.flushLagSeconds ?? '-'} s)`,
            );
            context.print(`     Replay LSN      : ${sender.replayLsn ?? '-'}`);
          });
          for (const slot of replication.slots) {
            context.print(
              `  Slot ${slot.name}: ${slot.type}, ${slot.active ? `active (pid ${slot.activePid})` : 'inactive'}, restart ${slot.restartLsn ?? '-'}, retains ${slot.retainedBytes ?? '-'} bytes`,
            );
          }
        }
        if (context.globals.format === 'json') context.printJson(document);
        return 0;
      }),
    );
};
