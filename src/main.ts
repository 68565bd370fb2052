/**
 * The bundle's entry point. `--version` is answered before anything else is loaded so that the
 * cheapest call stays as cheap as Node itself; everything else goes through the CLI.
 */
import { VERSION } from './version.ts';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`barkeep ${VERSION}\n`);
} else {
  const { runCli } = await import('./cli/run-cli.ts');
  process.exitCode = await runCli(process.argv);
}
