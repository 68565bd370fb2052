import { type CheckResult, reportPassed, type ServerCheckReport } from '../check/check-result.ts';
import { selectServers } from '../config/select-servers.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** `check SERVER...|all [--nagios]`: one line per check; exit 3 when any failed. */
export const registerCheck: RegisterCommand = (program, runtime) => {
  program
    .command('check')
    .summary('check that a server is ready for backups and WAL archiving')
    .description(
      'Run the checks of each server (PostgreSQL connection, privileges, wal_level, archiving, streaming, directories, system identifier) and print one OK/FAILED line per check. Exit 3 when any check failed.',
    )
    .argument('<SERVER...>', "server names, or 'all' for every active server")
    .option('--nagios', 'print one line in the Nagios plugin format')
    .action(
      runtime.action('check', async (context, names: string[], options: { nagios?: boolean }) => {
        const config = await context.config();
        // Loaded on use: it brings the PostgreSQL driver, which start-up should not pay for.
        const { runServerChecks } = await import('../check/run-server-checks.ts');
        const reports: ServerCheckReport[] = [];
        for (const server of selectServers(config, names)) {
          reports.push(await runServerChecks(server, { logger: context.logger, env: process.env }));
        }
        const allPassed = reports.every(reportPassed);
        if (options.nagios) {
          context.print(nagiosLine(reports, allPassed));
        } else if (context.globals.format === 'json') {
          context.printJson(
            Object.fromEntries(
              reports.map((report) => [report.server, jsonReport(report.results)]),
            ),
          );
        } else {
          for (const report of reports) {
            context.print(`Server ${report.server}:`);
            for (const result of report.results) context.print(`\t${consoleLine(result)}`);
          }
        }
        return allPassed ? 0 : 3;
      }),
    );
};

function consoleLine(result: CheckResult): string {
  if (result.ok) return `${result.name}: OK${result.hint ? ` (${result.hint})` : ''}`;
  return `${result.name}: FAILED (${result.hint})`;
}

function jsonReport(
  results: readonly CheckResult[],
): Record<string, { status: string; hint: string | null }> {
  return Object.fromEntries(
    results.map((result) => [
      result.name,
      { status: result.ok ? 'OK' : 'FAILED', hint: result.hint ?? null },
    ]),
  );
}

function nagiosLine(reports: readonly ServerCheckReport[], allPassed: boolean): string {
  const count = `${reports.length} server${reports.length === 1 ? '' : 's'}`;
  if (allPassed) return `BARKEEP OK - Ready to serve backups for ${count}`;
  const issues = reports.flatMap((report) =>
    report.results
      .filter((result) => !result.ok)
      .map((result) => `${report.server} FAILED: ${result.name}`),
  );
  const bad = reports
    .filter((report) => report.results.some((result) => !result.ok))
    .map((r) => r.server);
  return `BARKEEP CRITICAL - server${bad.length === 1 ? '' : 's'} ${bad.join(', ')} ${bad.length === 1 ? 'has' : 'have'} issues * ${issues.join(' * ')}`;
}
