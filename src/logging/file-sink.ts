import type { LogFields, LogLevel, LogSink } from './logger.ts';

type PinoFunction = typeof import('pino').pino;

const pinoLevels: Record<LogLevel, 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
};

/**
 * Structured JSON lines appended to Barman's `log_file`, through pino with synchronous writes
 * so nothing is lost when a short command exits. pino is imported here only, and only when a
 * log file is configured, to keep start-up cheap.
 */
export async function fileSink(
  file: string,
  threshold: LogLevel,
  command: string,
): Promise<LogSink> {
  // pino is CommonJS: under tsx its named export is there, in the esbuild bundle only `default`.
  const loaded = (await import('pino')) as { pino?: PinoFunction; default?: PinoFunction };
  const pino = (loaded.pino ?? loaded.default) as PinoFunction;
  const destination = pino.destination({ dest: file, sync: true, mkdir: true });
  const log = pino(
    {
      level: pinoLevels[threshold],
      base: { pid: process.pid, command },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    write(level: LogLevel, message: string, fields: LogFields) {
      log[pinoLevels[level]](fields, message);
    },
  };
}
