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

/** `backup SERVER...|all [--name N] [--wait] [--immediate-checkpoint] [--reuse-backup M] [-j N]`. */
export const registerBackup: RegisterCommand = (program, runtime) => {
  program
    .command('backup')
    .summary('take a full base backup of a server')
    .description(
      'Take a whole-cluster base backup into base/<backup_id>/ with a manifest and the configuration files kept outside PGDATA: backup_method postgres streams it over the replication protocol; rsync (over ssh_command) and local-rsync copy PGDATA and the tablespaces between pg_backup_start and pg_backup_stop, reusing unchanged files of the previous backup with reuse_backup = link|copy. With --wait, wait until the WAL it needs is archived.',
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
    .option(
      '-j, --jobs <N>',
      'parallel workers (rsync processes, server-side zstd workers)',
      (value) => Number.parseInt(value, 10),
    )
    .action(
      runtime.action('backup', async (context, names: string[], flags: BackupFlags) => {
        const reuseBackup = flags.reuseBackup;
        if (reuseBackup !== undefined && !isReuseMode(reuseBackup)) {
          throw new BarkeepError('usage', {
            what: 'invalid option',
            subject: `--reuse-backup ${reuseBackup}`,
            why: 'it is off, copy or link',
          });
        }
        // Barman's rule: not shaped like an ID, not a shortcut such as latest or first.
        if (flags.name !== undefined) {
          const { checkBackupName } = await import('../catalog/backup-selector.ts');
          checkBackupName(flags.name);
        }
        const config = await context.config();
        const servers = selectServers(config, names);
        const postgres = servers.find((server) => server.settings.backup_method === 'postgres');
        if (reuseBackup !== undefined && reuseBackup !== 'off' && postgres) {
          throw new BarkeepError('usage', {
            what: 'invalid option',
            subject: '--reuse-backup',
            why: `file reuse needs an rsync backup method; server '${postgres.name}' uses backup_method postgres, which copies everything`,
          });
        }
        const { runBackup } = await import('../backup/run-backup.ts');
        const { waitForBackupWals } = await import('../backup/wait-for-wals.ts');
        for (const server of servers) {
          const display = await createProgressDisplay(context);
          let info: Awaited<ReturnType<typeof runBackup>>;
          try {
            info = await runBackup(server, {
              name: flags.name,
              ...(flags.immediateCheckpoint ? { immediateCheckpoint: true } : {}),
              ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
              ...(reuseBackup !== undefined ? { reuseBackup } : {}),
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

function isReuseMode(value: string): value is 'off' | 'copy' | 'link' {
  return value === 'off' || value === 'copy' || value === 'link';
}
