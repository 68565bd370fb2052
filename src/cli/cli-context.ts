import type { BarkeepConfig } from '../config/settings.ts';
import { ioError } from '../errors/system-error.ts';
import { consoleSink } from '../logging/console-sink.ts';
import { createLogger, type Logger, type LogLevel, type LogSink } from '../logging/logger.ts';

/** The global options, given before (or after) the command. */
export interface GlobalOptions {
  readonly config?: string;
  readonly quiet: boolean;
  readonly debug: boolean;
  readonly format: 'console' | 'json';
}

/** What a command's action gets: global options, output, logging and the configuration. */
export interface CliContext {
  readonly globals: GlobalOptions;
  /** The command being run (for the log file). */
  readonly command: string;
  readonly logger: Logger;
  /** Loads the configuration once; logs its warnings and opens log_file. */
  config(): Promise<BarkeepConfig>;
  /** A line of command output on stdout (silenced by -q). */
  print(line?: string): void;
  /** The one JSON document of `-f json`. */
  printJson(value: unknown): void;
  /** Raw bytes on stdout (get-wal), not silenced by -q; resolves once written. */
  writeBinary(data: Uint8Array): Promise<void>;
  /**
   * Records the command's final error in log_file (when one is configured) at level error; the
   * console gets it from the caller, printed once in the contract's one-line form.
   */
  recordFailure(line: string): void;
  /** Aborted on SIGINT/SIGTERM; handlers are installed on first use. */
  interrupted(): AbortSignal;
}

/** Process streams and environment, injectable for tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** Builds the context for one command run. */
export function createCliContext(globals: GlobalOptions, command: string, io: CliIo): CliContext {
  const consoleLevel: LogLevel = globals.debug ? 'debug' : globals.quiet ? 'error' : 'info';
  const sinks: LogSink[] = [consoleSink(consoleLevel, () => io.stderr)];
  const logger = createLogger(sinks);
  let loaded: Promise<BarkeepConfig> | undefined;
  let abort: AbortController | undefined;

  const load = async (): Promise<BarkeepConfig> => {
    const { loadConfig } = await import('../config/load-config.ts');
    const config = await loadConfig({ explicitFile: globals.config, env: io.env });
    if (config.global.log_file) {
      const { fileSink } = await import('../logging/file-sink.ts');
      try {
        sinks.push(await fileSink(config.global.log_file, config.global.log_level, command));
      } catch (error) {
        logger.warn(
          `cannot open log_file '${config.global.log_file}': ${(error as Error).message}; logging to the console only`,
        );
      }
    }
    for (const warning of config.warnings) {
      logger.warn(`${warning.file}:${warning.line}: ${warning.message}`);
    }
    return config;
  };

  return {
    globals,
    command,
    logger,
    config: () => {
      loaded ??= load();
      return loaded;
    },
    recordFailure: (line) => {
      // Every sink but the console's (the first): log_file, once load() has opened it.
      for (const sink of sinks.slice(1)) sink.write('error', line, {});
    },
    print: (line = '') => {
      if (!globals.quiet) io.stdout.write(`${line}\n`);
    },
    printJson: (value) => {
      io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    writeBinary: (data) =>
      new Promise<void>((resolve, reject) => {
        const fail = (error: unknown) =>
          reject(ioError('cannot write to standard output', 'stdout', error));
        io.stdout.once('error', fail);
        io.stdout.write(data, (error) => {
          io.stdout.off('error', fail);
          if (error) fail(error);
          else resolve();
        });
      }),
    interrupted: () => {
      if (!abort) {
        const controller = new AbortController();
        abort = controller;
        // The first signal asks the command to stop cleanly; a second one is obeyed at once.
        const stop = (signal: NodeJS.Signals) => {
          if (!controller.signal.aborted) {
            controller.abort(new Error(`interrupted by ${signal}`));
            return;
          }
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.kill(process.pid, signal);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      }
      return abort.signal;
    },
  };
}
