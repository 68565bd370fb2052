/** The one command line the lean path serves: `[-c FILE] [-q] [-d] put-wal SERVER FILE`. */
export interface LeanPutWal {
  readonly config?: string;
  readonly quiet: boolean;
  readonly debug: boolean;
  readonly server: string;
  readonly file: string;
}

/**
 * Recognises archive_command's call, `barkeep [-c FILE] [-q] [-d] put-wal SERVER FILE`, so that
 * it skips the command-line framework and every other command's code: PostgreSQL runs it once
 * per WAL segment and waits for it. Anything else (another option, `--test`, no FILE) is left to
 * the full CLI. Pure.
 */
export function parseLeanPutWal(args: readonly string[]): LeanPutWal | undefined {
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
  const rest = args.slice(index);
  if (rest.length !== 3 || rest[0] !== 'put-wal' || rest.some((arg) => arg.startsWith('-')))
    return undefined;
  return {
    ...(config !== undefined ? { config } : {}),
    quiet,
    debug,
    server: rest[1]!,
    file: rest[2]!,
  };
}
