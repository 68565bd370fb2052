// Runs `barkeep receive-wal` in the background, as PostgreSQL's OS user when we are root, the way
// an operator (or cron) would: a process to stop, kill -9 and restart.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { walBytesInPartial } from '../../src/streaming/partial-extent.ts';
import type { ArchivedServer } from './archived-server.ts';
import { installCliForOsUser } from './cli.ts';
import { lookupOsUser } from './cluster.ts';

/** A receiver started by `startReceiver`. */
export interface RunningReceiver {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/** Starts `barkeep receive-wal SERVER` in the background. */
export function startReceiver(server: ArchivedServer): RunningReceiver {
  const user = process.getuid?.() === 0 ? lookupOsUser('postgres') : undefined;
  const child = spawn(
    installCliForOsUser(),
    ['-c', server.configFile, 'receive-wal', server.name],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_V8_COVERAGE: '', ...(user ? { HOME: user.home } : {}) },
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    },
  );
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    child,
    output: () => Buffer.concat(chunks).toString('utf8'),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Waits until `predicate` holds, polling every 50 ms. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The newest `.partial` in streaming/ and its size. */
export async function newestPartial(
  server: ArchivedServer,
): Promise<{ name: string; size: number } | undefined> {
  if (!existsSync(server.layout.streaming)) return undefined;
  const partials = readdirSync(server.layout.streaming)
    .filter((name) => name.endsWith('.partial'))
    .sort();
  const name = partials[partials.length - 1];
  // size: the WAL it holds (it is zero-filled to full size), as the receiver counts it.
  return name
    ? { name, size: await walBytesInPartial(join(server.layout.streaming, name)) }
    : undefined;
}
