import { spawn } from 'node:child_process';
import { extract, type Header } from 'tar-stream';
import { BarkeepError } from '../errors/barkeep-error.ts';

/** One member of the remote tar as the caller sees it. */
export interface TarMember {
  /** Absolute path on the remote host (the member name with `./` dropped and `/` put first). */
  readonly path: string;
  readonly header: Header;
}

/** What the caller does with a member: skip it, or read it whole (the size is then checked). */
export type MemberDecision = 'skip' | 'read';

/** How one remote tar run ended. */
export interface RemoteTarOutcome {
  /** Exit status of `ssh_command` (the remote script's, when ssh itself worked). */
  readonly status: number | null;
  /** The last few KiB of stderr, for messages. */
  readonly stderr: string;
}

/** Exit status the remote script uses for "no such file or directory". */
export const remoteMissingStatus = 3;

const stderrKeep = 4096;

/**
 * Runs `<ssh_command> '<script>'` through `/bin/sh` (ssh_command is a shell fragment, as in
 * Barman) and reads the tar the script writes on stdout as a stream: `decide` sees each member's
 * header and says whether to read it; read members go to `take`, the others are drained, so only
 * what the caller keeps is ever in memory. When `decide` or `take` throws, ssh is killed and the
 * error propagates. A stream that is not a tar becomes an `operationFailed` error naming `subject`.
 */
export async function runRemoteTar(
  sshCommand: string,
  script: string,
  subject: string,
  decide: (member: TarMember) => MemberDecision,
  take: (member: TarMember, content: Buffer) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RemoteTarOutcome> {
  const child = spawn('/bin/sh', ['-c', `${sshCommand} ${shellQuote(script)}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrKeep);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const extractor = extract();
  child.stdout.pipe(extractor);
  child.stdout.once('error', (error) => extractor.destroy(error));
  try {
    for await (const entry of extractor) {
      const path = `/${entry.header.name.replace(/^(\.\/)+/, '').replace(/^\/+|\/+$/g, '')}`;
      const member = { path, header: entry.header };
      if (decide(member) === 'skip') {
        for await (const _ of entry) {
          // drained: not kept
        }
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      take(member, Buffer.concat(chunks));
    }
  } catch (error) {
    child.kill('SIGTERM');
    await exited.catch(() => null);
    if (error instanceof BarkeepError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new BarkeepError('operationFailed', {
      what: 'cannot read configuration files over ssh',
      subject,
      why: `the remote tar is unreadable (${reason})${stderr === '' ? '' : `; stderr: ${stderr.trim()}`}`,
      hint: 'Check that ssh_command works without a password and that tar is installed there.',
      cause: error,
    });
  }
  let status: number | null;
  try {
    status = await exited;
  } catch (error) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot run ssh_command',
      subject: sshCommand,
      why: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
  return { status, stderr };
}

/** A POSIX shell single-quoted word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A path as a tar member pattern for `--exclude`: glob characters escaped. */
export function tarPattern(path: string): string {
  return path.replace(/[\\*?[\]]/g, '\\$&');
}
