// Runs the CLI in this process with captured stdout/stderr, for fast command tests.
import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.ts';

/** The outcome of one in-process CLI run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `barkeep ...args` in-process with an empty environment unless `env` is given. */
export async function runCliInProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(['node', 'barkeep', ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
