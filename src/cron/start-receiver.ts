import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { ioError } from '../errors/system-error.ts';

/** How to run barkeep itself: the program and the arguments before the command. */
export interface BarkeepInvocation {
  /** e.g. `process.execPath`. */
  readonly program: string;
  /** e.g. `[bundle path, '-c', config file]`. */
  readonly args: readonly string[];
}

/**
 * Starts `barkeep receive-wal SERVER` as a detached background process that outlives the caller
 * (as Barman's cron starts `barman receive-wal`), its output appended to
 * `receive-wal.log` in the server's directory. Returns its PID. The receiver takes its
 * own lock: if another cron pass started one meanwhile, the second exits 4 at once and the log
 * says so.
 */
export function startReceiverProcess(server: ServerConfig, barkeep: BarkeepInvocation): number {
  const layout = serverLayout(server.name, server.settings);
  // Beside the catalog's directories, not in streaming/: archive-wal takes what is there.
  const logPath = join(layout.backupDirectory, 'receive-wal.log');
  let log: number;
  try {
    log = openSync(logPath, 'a', 0o600);
  } catch (error) {
    throw ioError('cannot open the receiver log', logPath, error);
  }
  const child = spawn(barkeep.program, [...barkeep.args, 'receive-wal', server.name], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  if (child.pid === undefined)
    throw ioError('cannot start receive-wal', barkeep.program, undefined);
  return child.pid;
}
