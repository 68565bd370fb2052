import { BarkeepError } from '../errors/barkeep-error.ts';
import { parseGateCommand } from '../gate/gate-command.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `ssh-gate --server NAME...`: the forced command for a database host's key. */
export const registerSshGate: RegisterCommand = (program, runtime) => {
  program
    .command('ssh-gate')
    .summary("forced command for authorized_keys: runs only Barman's client put-wal/get-wal")
    .description(
      'For ~/.ssh/authorized_keys on the backup host: command="barkeep -c /etc/barkeep.conf ssh-gate --server pg",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding ssh-ed25519 AAAA... Reads SSH_ORIGINAL_COMMAND and runs it only when it is barman-wal-archive\'s put-wal or barman-wal-restore\'s get-wal for one of the given servers; everything else is refused and logged.',
    )
    .requiredOption(
      '--server <NAME>',
      'a server this key may use (repeatable)',
      (value: string, list: string[]) => [...list, value],
      [],
    )
    .action(
      runtime.action('ssh-gate', async (context, options: { server: string[] }) => {
        const original = process.env['SSH_ORIGINAL_COMMAND'];
        let command: ReturnType<typeof parseGateCommand>;
        try {
          command = parseGateCommand(original, options.server);
        } catch (error) {
          context.logger.error(`ssh-gate: ${(error as Error).message}`, {
            from: process.env['SSH_CLIENT'] ?? null,
          });
          throw error;
        }
        const config = await context.config();
        if (command.config !== undefined && command.config !== config.file) {
          throw new BarkeepError('accessRefused', {
            what: 'refused ssh command',
            subject: original ?? '',
            why: `the client names configuration '${command.config}', this gate serves '${config.file}'`,
          });
        }
        context.logger.info(`ssh-gate: ${command.args.join(' ')}`, {
          from: process.env['SSH_CLIENT'] ?? null,
        });
        const { runCli } = await import('./run-cli.ts');
        return runCli([
          'node',
          'barkeep',
          '-c',
          config.file,
          ...(context.globals.quiet ? ['-q'] : []),
          ...command.args,
        ]);
      }),
    );
};
