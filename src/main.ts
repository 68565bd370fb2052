/**
 * The bundle's entry point. `--version` is answered before anything else is loaded, and
 * archive_command's `put-wal SERVER FILE` takes a lean path without the command-line framework,
 * so the calls made most often stay close to the cost of Node itself; everything else goes
 * through the CLI.
 */
import { parseLeanPutWal } from './cli/lean-put-wal-args.ts';
import { VERSION } from './version.ts';

const args = process.argv.slice(2);
const lean = parseLeanPutWal(args);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`barkeep ${VERSION}\n`);
} else if (lean) {
  const { runLeanPutWal } = await import('./cli/lean-put-wal.ts');
  process.exitCode = await runLeanPutWal(lean);
} else {
  const { runCli } = await import('./cli/run-cli.ts');
  process.exitCode = await runCli(process.argv);
}
