import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** Problems listed on stdout before the error; the rest are counted. */
const LISTED = 50;

/** `verify-backup SERVER ID [-j N]`: every file of a backup against its manifest. */
export const registerVerifyBackup: RegisterCommand = (program, runtime) => {
  program
    .command('verify-backup')
    .summary("check a backup's files against its manifest")
    .description(
      "Check every file of a backup against its backup_manifest (the manifest's own checksum, then each file's presence, size and checksum, and files it does not list), compressed archives included, and the configuration files kept from outside PGDATA. Exit 3 naming the first bad file when anything is wrong. ID may be an ID, a name, latest/last, oldest/first or last-failed.",
    )
    .argument('<SERVER>', 'server name')
    .argument('<ID>', 'backup ID, name, or shortcut')
    .option(
      '-j, --jobs <N>',
      'files read at once (plain backups) or archives read at once (compressed ones)',
      (value) => Number.parseInt(value, 10),
    )
    .action(
      runtime.action(
        'verify-backup',
        async (context, serverName: string, selector: string, flags: { jobs?: number }) => {
          const config = await context.config();
          const [server] = selectServers(config, [serverName]);
          const { verifyBackup, verificationFailure } = await import('../backup/verify-backup.ts');
          const verification = await verifyBackup(server!, selector, {
            jobs: flags.jobs ?? server!.settings.parallel_jobs,
            signal: context.interrupted(),
          });
          const { info, problems } = verification;
          const failure = verificationFailure(verification);
          if (!failure) {
            context.print(
              `Backup ${info.backup_id} of server ${server!.name}: OK (${verification.filesChecked} files verified)`,
            );
            return 0;
          }
          context.print(
            `Backup ${info.backup_id} of server ${server!.name}: FAILED (${problems.length} problem${problems.length === 1 ? '' : 's'} in ${verification.filesChecked} files)`,
          );
          for (const problem of problems.slice(0, LISTED))
            context.print(`\t${problem.location}: ${problem.why}`);
          if (problems.length > LISTED) context.print(`\t... and ${problems.length - LISTED} more`);
          throw failure;
        },
      ),
    );
};
