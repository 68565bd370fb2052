/**
 * The bundle's entry point. `--version` is answered before anything else is loaded, and
 * archive_command's `put-wal SERVER FILE` and restore_command's `get-wal SERVER WAL` take a lean
 * path without the command-line framework, so the calls made most often (once per WAL segment)
 * stay close to the cost of Node itself; everything else goes through the CLI.
 */
import { parseLeanCommand } from './cli/lean-command-args.ts';
import { VERSION } from './version.ts';

const args = process.argv.slice(2);
const lean = parseLeanCommand(args);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`barkeep ${VERSION}\n`);
} else if (lean) {
  const { runLeanCommand } = await import('./cli/lean-command.ts');
  process.exitCode = await runLeanCommand(lean);
} else {
  const { runCli } = await import('./cli/run-cli.ts');
  process.exitCode = await runCli(process.argv);
}
