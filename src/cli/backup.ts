import { selectServers } from '../config/select-servers.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { RegisterCommand } from './command-runtime.ts';
import { createProgressDisplay } from './progress-display.ts';

interface BackupFlags {
  name?: string;
  wait?: boolean;
  waitTimeout: number;
  immediateCheckpoint?: boolean;
  reuseBackup?: string;
  jobs?: number;
}

/** `backup SERVER...|all [--name N] [--wait] [--immediate-checkpoint] [-j N]`. */
export const registerBackup: RegisterCommand = (program, runtime) => {
  program
    .command('backup')
    .summary('take a full base backup of a server')
    .description(
      'Take a whole-cluster base backup (backup_method postgres: BASE_BACKUP over the replication protocol), with the manifest and the configuration files kept outside PGDATA, into base/<backup_id>/. With --wait, wait until the WAL it needs is archived.',
    )
    .argument('<SERVER...>', "server names, or 'all'")
    .option('-n, --name <NAME>', 'a name for the backup, usable wherever an ID is')
    .option('-w, --wait', 'wait until all the WAL the backup needs is archived')
    .option(
      '--wait-timeout <S>',
      'seconds to wait with --wait (0: no limit)',
      (value) => Number.parseInt(value, 10),
      600,
    )
    .option('--immediate-checkpoint', 'ask for a fast checkpoint instead of a spread one')
    .option('--reuse-backup <MODE>', 'off, copy or link (rsync methods only)')
    .option('-j, --jobs <N>', 'parallel workers (server-side zstd workers, file syncs)', (value) =>
      Number.parseInt(value, 10),
    )
    .action(
      runtime.action('backup', async (context, names: string[], flags: BackupFlags) => {
        if (flags.reuseBackup && flags.reuseBackup !== 'off') {
          throw new BarkeepError('usage', {
            what: 'invalid option',
            subject: '--reuse-backup',
            why: 'file reuse needs an rsync backup method; backup_method postgres copies everything',
          });
        }
        const config = await context.config();
        const { runBackup } = await import('../backup/run-backup.ts');
        const { waitForBackupWals } = await import('../backup/wait-for-wals.ts');
        for (const server of selectServers(config, names)) {
          const display = await createProgressDisplay(context);
          let info: Awaited<ReturnType<typeof runBackup>>;
          try {
            info = await runBackup(server, {
              name: flags.name,
              ...(flags.immediateCheckpoint ? { immediateCheckpoint: true } : {}),
              ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
              logger: context.logger,
              onPhase: (text) => display.phase(text),
              onProgress: (done, total) => display.progress(done, total),
            });
          } finally {
            display.stop();
          }
          context.print(
            `Backup ${info.backup_id}${info.backup_name ? ` (${info.backup_name})` : ''} of server ${server.name}: DONE`,
          );
          if (flags.wait) {
            context.logger.info(
              `waiting for the WAL from ${info.begin_wal} to ${info.end_wal} to be archived`,
            );
            await waitForBackupWals(server, info, {
              timeoutSeconds: flags.waitTimeout,
              logger: context.logger,
              signal: context.interrupted(),
            });
            context.print(
              `WAL of backup ${info.backup_id} archived (${info.begin_wal} to ${info.end_wal})`,
            );
          }
        }
        return 0;
      }),
    );
};
