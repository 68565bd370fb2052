import type { RegisterCommand } from './command-runtime.ts';

/** `diagnose`: one JSON document with versions, configuration and catalog state, for support. */
export const registerDiagnose: RegisterCommand = (program, runtime) => {
  program
    .command('diagnose')
    .summary('print versions, configuration and catalog state as JSON, for support')
    .description(
      'Print one JSON document with the versions of barkeep, Node.js and the tools it uses, the configuration of every server (passwords redacted) and the state of each catalog. Does not contact PostgreSQL.',
    )
    .action(
      runtime.action('diagnose', async (context) => {
        const config = await context.config();
        const { diagnoseReport } = await import('../check/diagnose-report.ts');
        context.printJson(await diagnoseReport(config));
        return 0;
      }),
    );
};
