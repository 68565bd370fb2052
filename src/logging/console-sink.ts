import { type LogFields, type LogLevel, type LogSink, levelEnabled } from './logger.ts';

/**
 * Human log lines on stderr (stdout is kept for command results, so `-f json` stays one
 * document): `WARNING: message` for warnings and above, the plain message for info, and
 * `DEBUG: message {fields}` for debug.
 */
export function consoleSink(
  threshold: LogLevel,
  stream: NodeJS.WritableStream | (() => NodeJS.WritableStream) = () => process.stderr,
): LogSink {
  // Taken when first written to: creating process.stderr costs a one-shot command milliseconds.
  const output = typeof stream === 'function' ? stream : () => stream;
  return {
    write(level: LogLevel, message: string, fields: LogFields) {
      if (!levelEnabled(level, threshold)) return;
      const prefix = level === 'info' ? '' : `${level.toUpperCase()}: `;
      const context =
        level === 'debug' && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      output().write(`${prefix}${message}${context}\n`);
    },
  };
}
