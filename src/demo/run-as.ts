import { type ChildProcess, spawn } from 'node:child_process';
import type { OsUser } from '../storage/os-user.ts';

/** How a command the demo ran ended. */
export interface CommandRun {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs a program as `user` (when we are root and a user is given) and collects its output: the
 * demo runs barkeep as the cluster's OS user, the way an operator would on a host where barkeep
 * and PostgreSQL share an account.
 */
export function runAs(
  program: string,
  args: readonly string[],
  user: OsUser | undefined,
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...(user ? { HOME: user.home, USER: user.name } : {}),
        NODE_V8_COVERAGE: '',
      },
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/** Starts a program as `user` in the background (the demo's receive-wal); output is discarded. */
export function startAs(
  program: string,
  args: readonly string[],
  user: OsUser | undefined,
): ChildProcess {
  return spawn(program, args, {
    stdio: 'ignore',
    env: {
      ...process.env,
      ...(user ? { HOME: user.home, USER: user.name } : {}),
      NODE_V8_COVERAGE: '',
    },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
}
