import { selectServers } from '../config/select-servers.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { RegisterCommand } from './command-runtime.ts';

interface ReceiveWalFlags {
  stop?: boolean;
  reset?: boolean;
  createSlot?: boolean;
  dropSlot?: boolean;
}

/** `receive-wal SERVER [--stop|--reset|--create-slot|--drop-slot]`. */
export const registerReceiveWal: RegisterCommand = (program, runtime) => {
  program
    .command('receive-wal')
    .summary('stream WAL from the server into streaming/ (native, no pg_receivewal)')
    .description(
      "Stream WAL over the replication protocol into streaming/<segment>.partial, fsyncing before reporting each flush position, renaming each completed segment to its plain name; follow timeline switches and reconnect after restarts. Runs in the foreground until stopped (Ctrl-C, SIGTERM or 'receive-wal --stop').",
    )
    .argument('<SERVER>', 'server name')
    .option('--stop', 'stop the running receiver cleanly')
    .option('--reset', 'remove .partial files that no longer match the server (saying which)')
    .option('--create-slot', 'create the replication slot named by slot_name')
    .option('--drop-slot', 'drop the replication slot named by slot_name')
    .action(
      runtime.action('receive-wal', async (context, serverName: string, flags: ReceiveWalFlags) => {
        const config = await context.config();
        const [server] = selectServers(config, [serverName]);
        const chosen = (['stop', 'reset', 'createSlot', 'dropSlot'] as const).filter(
          (flag) => flags[flag],
        );
        if (chosen.length > 1) {
          throw new BarkeepError('usage', {
            what: 'conflicting options',
            subject: 'receive-wal',
            why: 'give at most one of --stop, --reset, --create-slot, --drop-slot',
          });
        }
        const control = await import('../streaming/receiver-control.ts');
        if (flags.stop) {
          const pid = await control.stopReceiver(server!);
          context.print(
            pid
              ? `Stopped receive-wal for server ${server!.name} (pid ${pid})`
              : `No receive-wal running for server ${server!.name}`,
          );
          return 0;
        }
        if (flags.reset) {
          const removed = await control.resetStreaming(server!);
          for (const file of removed) context.print(`Removed ${file}: it is ahead of the server`);
          if (removed.length === 0) context.print(`Nothing to reset for server ${server!.name}`);
          return 0;
        }
        if (flags.createSlot) {
          context.print(
            `Created replication slot '${await control.createReceiverSlot(server!)}' on server ${server!.name}`,
          );
          return 0;
        }
        if (flags.dropSlot) {
          context.print(
            `Dropped replication slot '${await control.dropReceiverSlot(server!)}' on server ${server!.name}`,
          );
          return 0;
        }
        const { receiveWal } = await import('../streaming/receive-wal.ts');
        context.logger.info(`Starting receive-wal for server ${server!.name}`);
        await receiveWal(server!, { logger: context.logger, signal: context.interrupted() });
        context.logger.info(`receive-wal for server ${server!.name} stopped`);
        return 0;
      }),
    );
};
