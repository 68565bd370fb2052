import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { OsUser } from '../storage/os-user.ts';
import { logTail } from './log-tail.ts';

/** What `runInitdb` needs. */
export interface InitdbRun {
  /** Directory holding `initdb`. */
  readonly binDir: string;
  /** The data directory to create (must not exist or be empty). */
  readonly dataDir: string;
  /** Where initdb's output is appended, for diagnosis. */
  readonly logFile: string;
  /** Extra arguments, appended after the defaults (later ones win). */
  readonly extraArgs: readonly string[];
  /** Account to run as (when we are root: initdb refuses root); undefined runs as ourselves. */
  readonly osUser: OsUser | undefined;
}

/**
 * Creates a new cluster the way the sandbox wants it: checksums on (barkeep verifies them),
 * superuser `postgres`, trust authentication (tests add password rules through pg_hba), UTF8 in
 * the C locale (stable sorting and English messages), and `--no-sync` because a throwaway
 * cluster does not need to survive a power cut and the fsyncs dominate initdb's run time.
 */
export function runInitdb(run: InitdbRun): Promise<void> {
  const args = [
    '-D',
    run.dataDir,
    '--data-checksums',
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
    ...run.extraArgs,
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
  if (run.osUser !== undefined) env['HOME'] = run.osUser.home;
  return new Promise((resolve, reject) => {
    execFile(
      join(run.binDir, 'initdb'),
      args,
      {
        cwd: '/',
        env,
        maxBuffer: 16 * 1024 * 1024,
        ...(run.osUser === undefined ? {} : { uid: run.osUser.uid, gid: run.osUser.gid }),
      },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        try {
          appendFileSync(run.logFile, output);
        } catch {
          // The log is for diagnosis only.
        }
        if (error === null) {
          resolve();
          return;
        }
        reject(
          new BarkeepError('operationFailed', {
            what: 'cannot create a PostgreSQL cluster',
            subject: run.dataDir,
            why: `initdb failed (${error.message.split('\n')[0]}):\n${logTail(output)}`,
            cause: error,
          }),
        );
      },
    );
  });
}
