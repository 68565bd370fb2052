import { selectServers } from '../config/select-servers.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { KeepAction } from '../retention/keep-backup.ts';
import type { RegisterCommand } from './command-runtime.ts';

interface KeepOptions {
  readonly target?: string;
  readonly release?: boolean;
  readonly status?: boolean;
}

/** The one action the options ask for; none or several is a usage error (exit 2). */
function actionOf(options: KeepOptions): KeepAction {
  const chosen: KeepAction[] = [];
  if (options.target !== undefined) {
    if (options.target !== 'full' && options.target !== 'standalone') {
      throw new BarkeepError('usage', {
        what: 'invalid keep target',
        subject: options.target,
        why: 'the recovery target is full or standalone',
      });
    }
    chosen.push({ kind: 'keep', target: options.target });
  }
  if (options.release) chosen.push({ kind: 'release' });
  if (options.status) chosen.push({ kind: 'status' });
  if (chosen.length !== 1) {
    throw new BarkeepError('usage', {
      what: 'cannot run keep',
      subject: 'keep',
      why: `${chosen.length === 0 ? 'one' : 'only one'} of -r/--release, -s/--status, --target is required`,
    });
  }
  return chosen[0]!;
}

/** `keep SERVER ID --target full|standalone | -r/--release | -s/--status`, Barman's command. */
export const registerKeep: RegisterCommand = (program, runtime) => {
  program
    .command('keep')
    .summary('keep a backup beyond the retention policy, or release it')
    .description(
      'Mark a DONE backup as an archival backup that retention never deletes: --target full keeps it and all WAL after it (recoverable to any later point); --target standalone keeps it with only the WAL from its start to its end (restorable as it ended). --release removes the mark; --status prints full, standalone or nokeep. ID may be an ID, a name, latest/last, oldest/first or last-failed.',
    )
    .argument('<SERVER>', 'server name')
    .argument('<ID>', 'backup ID, name, or shortcut')
    .option('--target <TARGET>', 'keep the backup with this recovery target: full or standalone')
    .option('-r, --release', 'remove the keep mark')
    .option('-s, --status', 'print the keep status of the backup')
    .action(
      runtime.action(
        'keep',
        async (context, serverName: string, selector: string, options: KeepOptions) => {
          const action = actionOf(options);
          const config = await context.config();
          const [server] = selectServers(config, [serverName]);
          const { keepBackup } = await import('../retention/keep-backup.ts');
          const outcome = await keepBackup(server!, selector, action);
          if (action.kind !== 'status') return 0;
          const status = outcome.target ?? 'nokeep';
          if (context.globals.format === 'json') {
            context.printJson({
              [server!.name]: { backup_id: outcome.backupId, keep_status: status },
            });
          } else {
            context.print(`Server ${server!.name}:`);
            context.print(`\tKeep: ${status}`);
          }
          return 0;
        },
      ),
    );
};
