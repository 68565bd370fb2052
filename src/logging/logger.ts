/** Barman's log levels, lowest first. */
export const logLevels = ['debug', 'info', 'warning', 'error', 'critical'] as const;

/** One of Barman's log levels. */
export type LogLevel = (typeof logLevels)[number];

/** Structured context attached to a log line (server, file, LSN...). Never a password. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * What domain code logs through. Domain code never prints: the CLI decides where lines go
 * (console, log_file, both) and at which level.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. the server name). */
  child(fields: LogFields): Logger;
}

/** Where one log record goes; the logger fans each record out to its sinks. */
export interface LogSink {
  write(level: LogLevel, message: string, fields: LogFields): void;
}

/** True when `level` is at least `threshold`. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return logLevels.indexOf(level) >= logLevels.indexOf(threshold);
}

/** A logger writing to the given sinks, each filtering by its own level. */
export function createLogger(sinks: readonly LogSink[], fields: LogFields = {}): Logger {
  const emit = (level: LogLevel, message: string, extra?: LogFields) => {
    const all = extra ? { ...fields, ...extra } : fields;
    for (const sink of sinks) sink.write(level, message, all);
  };
  return {
    debug: (message, extra) => emit('debug', message, extra),
    info: (message, extra) => emit('info', message, extra),
    warn: (message, extra) => emit('warning', message, extra),
    error: (message, extra) => emit('error', message, extra),
    child: (extra) => createLogger(sinks, { ...fields, ...extra }),
  };
}

/** A logger that drops everything, for callers that have nothing to say. */
export const silentLogger: Logger = createLogger([]);
