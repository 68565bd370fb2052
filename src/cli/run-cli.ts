import { Command, CommanderError, Option } from 'commander';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { VERSION } from '../version.ts';
import { type CliIo, createCliContext, type GlobalOptions } from './cli-context.ts';
import { commandRegistrations } from './command-list.ts';
import { CommandFailure, type CommandRuntime } from './command-runtime.ts';
import { formatError } from './format-error.ts';

const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };

/**
 * Runs one barkeep command line and returns the exit code; never exits the process itself.
 * Builds the commander program from the command files, maps usage errors to exit 2 and every
 * other error to its kind's exit code, printed in the contract's one-line form.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('barkeep')
    .description('PostgreSQL backup and point-in-time recovery, Barman-compatible')
    .version(`barkeep ${VERSION}`, '-v, --version', 'print the version and exit')
    .option(
      '-c, --config <file>',
      'configuration file (default: $BARKEEP_CONFIG, ~/.barkeep.conf, /etc/barkeep.conf, /etc/barkeep/barkeep.conf)',
    )
    .option('-q, --quiet', 'print nothing but errors', false)
    .option('-d, --debug', 'print debug messages and error stacks', false)
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['console', 'json'])
        .default('console'),
    )
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => {},
    });

  const runtime: CommandRuntime = {
    action:
      (name, body) =>
      async (...args: unknown[]) => {
        const context = createCliContext(program.opts<GlobalOptions>(), name, io);
        try {
          exitCode = (await body(context, ...(args as never[]))) ?? 0;
        } catch (error) {
          const failure = error instanceof CommandFailure ? error.error : error;
          context.recordFailure(formatError(failure, false).lines[0] ?? String(failure));
          throw error;
        }
      },
  };
  for (const register of commandRegistrations) register(program, runtime);

  const debug = argv.includes('-d') || argv.includes('--debug');
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) return commanderExit(error, io);
    const failure = error instanceof CommandFailure ? error.error : error;
    const formatted = formatError(failure, debug);
    for (const line of formatted.lines) io.stderr.write(`${line}\n`);
    return error instanceof CommandFailure
      ? error.exitCodeFor(failure, formatted.exitCode)
      : formatted.exitCode;
  }
  return exitCode;
}

function commanderExit(error: CommanderError, io: CliIo): number {
  if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) {
    // Help asked for exits 0; help shown because no command was given is a usage error.
    return error.exitCode === 0 ? 0 : 2;
  }
  const message = error.message.replace(/^error: /, '');
  const usage = new BarkeepError('usage', {
    what: 'invalid command line',
    subject: 'barkeep',
    why: message,
  });
  io.stderr.write(`ERROR: ${usage.toLine()}\n`);
  return usage.exitCode;
}
