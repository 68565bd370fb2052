import { prettySize } from '../backup/backup-listing.ts';
import { selectServers } from '../config/select-servers.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { RecoveryOutcome } from '../recovery/run-recovery.ts';
import type { RegisterCommand } from './command-runtime.ts';

interface RecoverFlags {
  targetTime?: string;
  targetXid?: string;
  targetLsn?: string;
  targetName?: string;
  targetImmediate?: boolean;
  targetTli?: string;
  exclusive?: boolean;
  targetAction?: 'pause' | 'shutdown' | 'promote';
  standbyMode?: boolean;
  tablespace: string[];
  remoteSshCommand?: string;
  remoteBarkeepCommand?: string;
  getWal?: boolean;
  jobs?: number;
  debianCluster?: string;
  port?: number;
  start?: boolean;
}

/** `recover SERVER ID DEST` (alias `restore`). */
export const registerRecover: RegisterCommand = (program, runtime) => {
  program
    .command('recover')
    .alias('restore')
    .summary('rebuild a cluster from a backup at a chosen point in time')
    .description(
      'Restore a backup into DEST with its tablespaces and the configuration kept outside PGDATA, the WAL it needs (the streaming .partial included) and the recovery settings for the chosen target; archiving is off in the copy. ID may be an ID, a name, latest/last, oldest/first.',
    )
    .argument('<SERVER>', 'server name')
    .argument('<ID>', 'backup ID, name, or shortcut')
    .argument('<DEST>', 'new or empty directory for the recovered data directory')
    .option('--target-time <TIME>', "recover up to this time, e.g. '2026-11-24 10:15:00+00'")
    .option('--target-xid <XID>', 'recover up to this transaction ID')
    .option('--target-lsn <LSN>', 'recover up to this WAL position')
    .option('--target-name <NAME>', 'recover up to this restore point (pg_create_restore_point)')
    .option('--target-immediate', 'stop as soon as the backup is consistent')
    .option('--target-tli <TLI>', "timeline to follow: a number, 'current' or 'latest'")
    .option('--exclusive', 'stop just before the target instead of just after it')
    .option(
      '--target-action <ACTION>',
      'what the server does at the target: pause, shutdown or promote',
    )
    .option('--standby-mode', 'start the recovered cluster as a standby (standby.signal)')
    .option(
      '--tablespace <NAME:DIR>',
      'put tablespace NAME in DIR (repeatable)',
      (value: string, list: string[]) => [...list, value],
      [],
    )
    .option('--remote-ssh-command <CMD>', 'recover onto another host through this ssh command')
    .option(
      '--remote-barkeep-command <CMD>',
      "with --remote-ssh-command and get-wal: how the recovered host calls barkeep on this host (default: 'ssh USER@THIS_HOST barkeep -c CONFIG')",
    )
    .option('--get-wal', 'restore_command fetches WAL with barkeep get-wal')
    .option('--no-get-wal', 'copy the WAL into DEST instead')
    .option('-j, --jobs <N>', 'files copied at once', (value) => Number.parseInt(value, 10))
    .option(
      '--debian-cluster <VER/NAME>',
      'make it a postgresql-common cluster (/etc/postgresql/VER/NAME)',
    )
    .option('--port <N>', 'port of the Debian cluster (default: the backed-up one)', (value) =>
      Number.parseInt(value, 10),
    )
    .option('--start', 'start the Debian cluster when done')
    .action(
      runtime.action(
        'recover',
        async (
          context,
          serverName: string,
          id: string,
          destination: string,
          flags: RecoverFlags,
        ) => {
          if (
            flags.targetAction &&
            !['pause', 'shutdown', 'promote'].includes(flags.targetAction)
          ) {
            throw new BarkeepError('usage', {
              what: 'invalid option',
              subject: '--target-action',
              why: 'use pause, shutdown or promote',
            });
          }
          if ((flags.port !== undefined || flags.start) && !flags.debianCluster) {
            throw new BarkeepError('usage', {
              what: 'invalid option',
              subject: flags.start ? '--start' : '--port',
              why: 'it goes with --debian-cluster',
            });
          }
          // parseInt gives NaN for '-j x', and no copy worker would run at all.
          for (const [option, value] of [
            ['--jobs', flags.jobs],
            ['--port', flags.port],
          ] as const) {
            if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
              throw new BarkeepError('usage', {
                what: 'invalid option',
                subject: option,
                why: 'it takes a positive whole number',
              });
            }
          }
          const config = await context.config();
          const [server] = selectServers(config, [serverName]);
          const { recoveryTarget } = await import('../recovery/recovery-target.ts');
          const target = recoveryTarget(flags);
          const tablespaces = new Map<string, string>();
          for (const spec of flags.tablespace) {
            const at = spec.indexOf(':');
            if (at <= 0)
              throw new BarkeepError('usage', {
                what: 'invalid --tablespace',
                subject: spec,
                why: 'write it as NAME:DIRECTORY',
              });
            tablespaces.set(spec.slice(0, at), spec.slice(at + 1));
          }
          const getWal =
            flags.getWal ?? (server!.settings.recovery_options ?? []).includes('get-wal');
          const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
          const barkeepCommand = `${quote(process.execPath)} ${quote(process.argv[1] ?? 'barkeep')} -c ${quote(config.file)}`;
          const { debianCluster } = await import('../recovery/debian-cluster.ts');
          const options = {
            backup: id,
            destination,
            target,
            targetTimeline: flags.targetTli,
            exclusive: flags.exclusive ?? false,
            targetAction: flags.targetAction,
            standby: flags.standbyMode ?? false,
            tablespaces,
            jobs: flags.jobs ?? server!.settings.parallel_jobs,
            getWal,
            barkeepCommand,
            debianCluster: flags.debianCluster
              ? debianCluster(flags.debianCluster, {
                  port: flags.port,
                  start: flags.start ?? false,
                })
              : undefined,
            logger: context.logger,
          };
          if (flags.remoteBarkeepCommand !== undefined && !flags.remoteSshCommand) {
            throw new BarkeepError('usage', {
              what: 'invalid option',
              subject: '--remote-barkeep-command',
              why: 'it goes with --remote-ssh-command',
            });
          }
          let outcome: RecoveryOutcome;
          if (flags.remoteSshCommand) {
            const { defaultRemoteBarkeepCommand, runRemoteRecovery } = await import(
              '../recovery/remote-recovery.ts'
            );
            outcome = await runRemoteRecovery(server!, {
              ...options,
              sshCommand: flags.remoteSshCommand,
              remoteBarkeepCommand:
                flags.remoteBarkeepCommand ?? defaultRemoteBarkeepCommand(config.file),
            });
            context.print(`Remote host: reached through ${flags.remoteSshCommand}`);
          } else {
            const { runRecovery } = await import('../recovery/run-recovery.ts');
            outcome = await runRecovery(server!, options);
          }
          context.print(
            `Backup ${outcome.info.backup_id} of server ${server!.name} restored into ${outcome.destination}: ${outcome.files} files, ${prettySize(outcome.bytes)}`,
          );
          if (outcome.configFiles.length > 0)
            context.print(
              `Configuration kept outside PGDATA restored: ${outcome.configFiles.join(', ')}`,
            );
          context.print(
            getWal
              ? flags.remoteSshCommand
                ? 'WAL: fetched during recovery from this host through ssh by barkeep get-wal --partial (restore_command below)'
                : 'WAL: fetched during recovery by barkeep get-wal --partial'
              : `WAL: ${outcome.walFiles} file(s) copied into ${outcome.destination}/barman_wal`,
          );
          if (outcome.partialUsed)
            context.print(
              `Includes the streaming ${outcome.partialUsed}.partial: transactions streamed after the last archived segment are replayed`,
            );
          context.print('Recovery settings (postgresql.auto.conf):');
          for (const [key, value] of Object.entries(outcome.settings))
            context.print(`\t${key} = ${value}`);
          context.print(
            "IMPORTANT: archive_command is 'false' in the recovered cluster, so it never writes into the original's archive. Once it is meant to be archived, run ALTER SYSTEM RESET archive_command (or set it) and reload.",
          );
          context.print(
            flags.remoteSshCommand
              ? `Ready: start it on the remote host with ${outcome.nextCommand}`
              : `Ready: start it with ${outcome.nextCommand}`,
          );
          return 0;
        },
      ),
    );
};
