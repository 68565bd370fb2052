// A logger that keeps what it is told, for tests that check what barkeep logs.
import { createLogger, type Logger, type LogLevel } from '../../src/logging/logger.ts';

/** One line a recording logger was told. */
export interface LoggedLine {
  readonly level: LogLevel;
  readonly message: string;
}

/** A logger and the lines it received, in order. */
export function recordingLogger(): { logger: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  return {
    logger: createLogger([{ write: (level, message) => lines.push({ level, message }) }]),
    lines,
  };
}
