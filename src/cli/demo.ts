import { BarkeepError } from '../errors/barkeep-error.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `demo`: a throwaway cluster taken through what barkeep does, then torn down. */
export const registerDemo: RegisterCommand = (program, runtime) => {
  program
    .command('demo')
    .summary('show barkeep at work on a throwaway PostgreSQL cluster')
    .description(
      'Create a throwaway PostgreSQL cluster in a temporary directory, write a barkeep configuration for it, run check, archive WAL, and tear everything down (also on Ctrl-C). Needs no configuration file.',
    )
    .option(
      '--pg-version <major>',
      "PostgreSQL major version to use (default: Debian's)",
      (value) => Number.parseInt(value, 10),
    )
    .action(
      runtime.action('demo', async (context, options: { pgVersion?: number }) => {
        const { runDemo } = await import('../demo/run-demo.ts');
        const signal = context.interrupted();
        try {
          const outcome = await runDemo({
            narrator: {
              step: (title) => context.print(`\n==> ${title}`),
              detail: (line) => context.print(`    ${line}`),
            },
            logger: context.logger,
            signal,
            ...(options.pgVersion !== undefined ? { major: options.pgVersion } : {}),
          });
          const ok =
            outcome.checksPassed && outcome.archivedSegments > 0 && outcome.restoredIdentical;
          context.print(
            ok
              ? '\nDemo complete: WAL archived and streamed, backed up, recovered to a restore point and to the last streamed commit, every check passed.'
              : '\nDemo finished with failures (see above).',
          );
          return ok ? 0 : 1;
        } catch (error) {
          if (signal.aborted) {
            throw new BarkeepError('operationFailed', {
              what: 'demo interrupted',
              subject: 'demo',
              why: 'stopped by a signal',
              hint: 'Everything the demo created was removed.',
            });
          }
          throw error;
        }
      }),
    );
};
