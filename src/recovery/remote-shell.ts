import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { shellQuote } from '../backup/config-ssh-tar.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';

/** How one remote script ended. */
export interface RemoteRun {
  /** Exit status of the ssh command: the remote script's, or 255 when ssh itself failed. */
  readonly status: number | null;
  readonly stdout: string;
  /** The last few KiB of stderr, for messages. */
  readonly stderr: string;
}

/** Options of {@link runRemoteScript}. */
export interface RemoteScriptOptions {
  /** Bytes sent to the script's stdin (a tar stream), with backpressure; none: stdin is empty. */
  readonly input?: AsyncIterable<unknown>;
  /** Environment of the local shell running the ssh command; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

const stderrKeep = 8192;
const stdoutKeep = 1024 * 1024;

/**
 * Runs `<sshCommand> '<script>'` through `/bin/sh` (the ssh command is a shell fragment, as
 * Barman's `--remote-ssh-command` and `ssh_command` are): the remote login shell runs `script`.
 * `input` is pumped into ssh's stdin as fast as the remote side reads it (bounded memory). When
 * the remote side exits before reading everything, the pump stops and the outcome says why;
 * when `input` fails, ssh is killed (the remote tar then sees a cut stream) and the error is
 * thrown. A failure to start the shell is an `operationFailed` error naming the command.
 */
export async function runRemoteScript(
  sshCommand: string,
  script: string,
  options: RemoteScriptOptions = {},
): Promise<RemoteRun> {
  const child = spawn('/bin/sh', ['-c', `${sshCommand} ${shellQuote(script)}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrKeep);
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout = (stdout + chunk).slice(-stdoutKeep);
  });
  let exitedEarly = false;
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      exitedEarly = true;
      resolve(code ?? (signal === null ? null : 128 + (constants.signals[signal] ?? 0)));
    });
  });
  exited.catch(() => undefined);
  // Writes after the remote side closed fail with EPIPE; the exit status explains it better.
  child.stdin.on('error', () => undefined);
  let inputError: unknown;
  if (options.input) {
    try {
      for await (const chunk of options.input) {
        if (exitedEarly || child.stdin.destroyed) break;
        if (!child.stdin.write(chunk as Buffer)) {
          await writable(child.stdin, exited);
        }
      }
    } catch (error) {
      inputError = error;
      child.kill('SIGTERM');
    }
  }
  child.stdin.end();
  let status: number | null;
  try {
    status = await exited;
  } catch (error) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot run the remote ssh command',
      subject: sshCommand,
      why: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
  if (inputError !== undefined) throw inputError;
  return { status, stdout, stderr };
}

/** An error for a remote script that did not exit 0: ssh's own failure (255) or the script's. */
export function remoteFailure(
  what: string,
  subject: string,
  run: RemoteRun,
  hint = 'Check that the ssh command logs in without a password and that the remote user may write there.',
): BarkeepError {
  const detail = run.stderr.trim() === '' ? '' : `: ${lastLines(run.stderr)}`;
  const why =
    run.status === 255
      ? `ssh could not run the command on the remote host (status 255)${detail}`
      : `the remote command exited with status ${run.status ?? 'unknown'}${detail}`;
  return new BarkeepError('operationFailed', { what, subject, why, hint });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join('; ');
}

/** Resolves when `stdin` takes data again, or can never do so (closed, failed, ssh exited). */
function writable(stdin: Writable, exited: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      stdin.off('drain', settle);
      stdin.off('close', settle);
      stdin.off('error', settle);
      resolve();
    };
    stdin.on('drain', settle);
    stdin.on('close', settle);
    stdin.on('error', settle);
    exited.then(settle, settle);
  });
}
