import { selectServers } from '../config/select-servers.ts';
import type { CronServerOutcome } from '../cron/run-cron.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** One console line per server: what the pass did. */
function describe(outcome: CronServerOutcome): string {
  const parts = [`archive-wal: ${outcome.archived} archived`];
  if (outcome.rejected > 0) parts[0] += `, ${outcome.rejected} rejected`;
  const { receiver } = outcome;
  if (receiver.state === 'started') parts.push(`receive-wal: started (PID ${receiver.pid})`);
  if (receiver.state === 'running') parts.push(`receive-wal: running (PID ${receiver.pid})`);
  if (outcome.deletedBackups > 0 || outcome.removedWal > 0)
    parts.push(
      `retention: ${outcome.deletedBackups} backup(s), ${outcome.removedWal} WAL file(s) deleted`,
    );
  if (outcome.skipped.length > 0) parts.push(`skipped (busy): ${outcome.skipped.join(', ')}`);
  return `${outcome.server}: ${parts.join('; ')}`;
}

/**
 * `cron`: Barman's maintenance pass over every active server (archive-wal, receive-wal kept
 * running, retention), safe to run every minute from the system's cron.
 */
export const registerCron: RegisterCommand = (program, runtime) => {
  program
    .command('cron')
    .summary('one maintenance pass: archive-wal, keep receive-wal running, retention')
    .description(
      "For every active server: store the WAL waiting in incoming/ and streaming/, start receive-wal in the background (its output in the server's receive-wal.log) when streaming_archiver is on and none runs, and apply the retention policies. Run it every minute from the system's cron, as with Barman ('* * * * * barkeep -q cron'); a step another barkeep process is doing is skipped. Exit 1 when a step failed.",
    )
    .action(
      runtime.action('cron', async (context) => {
        const config = await context.config();
        const { runCron } = await import('../cron/run-cron.ts');
        const outcomes = await runCron(selectServers(config, ['all']), {
          logger: context.logger,
          barkeep: { program: process.execPath, args: [process.argv[1]!, '-c', config.file] },
        });
        for (const outcome of outcomes) context.print(describe(outcome));
        return outcomes.some((outcome) => outcome.failures.length > 0) ? 1 : 0;
      }),
    );
};
