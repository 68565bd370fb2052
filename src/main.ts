/**
 * The bundle's entry point. `--version` is answered before anything else is loaded, and
 * archive_command's `put-wal SERVER FILE` and restore_command's `get-wal SERVER WAL` take a lean
 * path without the command-line framework, so the calls made most often (once per WAL segment)
 * stay close to the cost of Node itself; everything else goes through the CLI. In the bundle
 * (scripts/build.mjs) each path is a file of its own; from the sources (tests), the modules.
 */
declare const __BARKEEP_BUNDLE__: boolean | undefined;

import { createRequire } from 'node:module';
import { parseLeanCommand } from './cli/lean-command-args.ts';
import { VERSION } from './version.ts';

const args = process.argv.slice(2);
const lean = parseLeanCommand(args);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`barkeep ${VERSION}\n`);
} else if (lean) {
  const { runLeanCommand }: typeof import('./cli/lean-command.ts') =
    typeof __BARKEEP_BUNDLE__ === 'boolean'
      ? (createRequire(import.meta.url)('./lean.cjs') as typeof import('./cli/lean-command.ts'))
      : await import('./cli/lean-command.ts');
  process.exitCode = await runLeanCommand(lean);
} else {
  // A path in a variable: esbuild leaves the import to run time instead of bundling the CLI in.
  const cliBundle = './cli.js';
  const { runCli }: typeof import('./cli/run-cli.ts') =
    typeof __BARKEEP_BUNDLE__ === 'boolean'
      ? await import(cliBundle)
      : await import('./cli/run-cli.ts');
  process.exitCode = await runCli(process.argv);
}
