/** The global options the lean path accepts before its command. */
interface LeanGlobals {
  readonly config?: string;
  readonly quiet: boolean;
  readonly debug: boolean;
}

/** archive_command's call: `put-wal SERVER FILE`. */
export interface LeanPutWal extends LeanGlobals {
  readonly command: 'put-wal';
  readonly server: string;
  readonly file: string;
}

/** restore_command's call: `get-wal [-P] [-o DIR] SERVER WAL` (to stdout or into DIR). */
export interface LeanGetWal extends LeanGlobals {
  readonly command: 'get-wal';
  readonly server: string;
  readonly wal: string;
  readonly partial: boolean;
  readonly outputDirectory?: string;
}

/** A command line the lean path serves. */
export type LeanCommand = LeanPutWal | LeanGetWal;

/**
 * Recognises the calls PostgreSQL makes once per WAL segment and waits for:
 * `barkeep [-c FILE] [-q] [-d] put-wal SERVER FILE` (archive_command) and
 * `barkeep [-c FILE] [-q] [-d] get-wal [-P|--partial] [-o DIR] SERVER WAL` (restore_command), so
 * that they skip the command-line framework and every other command's code. Anything else
 * (another option, `--test`, `--peek`, `-z`, a missing argument) is left to the full CLI, which
 * parses it the same way. Pure.
 */
export function parseLeanCommand(args: readonly string[]): LeanCommand | undefined {
  let config: string | undefined;
  let quiet = false;
  let debug = false;
  let index = 0;
  for (; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '-c' || arg === '--config') {
      config = args[++index];
      if (config === undefined) return undefined;
    } else if (arg.startsWith('--config=')) config = arg.slice('--config='.length);
    else if (arg === '-q' || arg === '--quiet') quiet = true;
    else if (arg === '-d' || arg === '--debug') debug = true;
    else break;
  }
  const globals = { ...(config !== undefined ? { config } : {}), quiet, debug };
  const [command, ...rest] = args.slice(index);
  if (command === 'put-wal') {
    if (rest.length !== 2 || rest.some((arg) => arg.startsWith('-'))) return undefined;
    return { ...globals, command, server: rest[0]!, file: rest[1]! };
  }
  if (command === 'get-wal') return parseGetWal(globals, rest);
  return undefined;
}

function parseGetWal(globals: LeanGlobals, args: readonly string[]): LeanGetWal | undefined {
  let partial = false;
  let outputDirectory: string | undefined;
  const operands: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '-P' || arg === '--partial') partial = true;
    else if (arg === '-o' || arg === '--output-directory') {
      outputDirectory = args[++index];
      if (outputDirectory === undefined) return undefined;
    } else if (arg.startsWith('--output-directory='))
      outputDirectory = arg.slice('--output-directory='.length);
    else if (arg.startsWith('-')) return undefined;
    else operands.push(arg);
  }
  if (operands.length !== 2) return undefined;
  return {
    ...globals,
    command: 'get-wal',
    server: operands[0]!,
    wal: operands[1]!,
    partial,
    ...(outputDirectory !== undefined ? { outputDirectory } : {}),
  };
}
