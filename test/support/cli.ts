// Test helpers that run the built CLI, as root or as another OS user (PostgreSQL runs barkeep as
// its own account from archive_command/restore_command, so tests must be able to do the same).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandboxCleanup } from '../../src/sandbox/cleanup-registry.ts';
import { installCliCopy } from '../../src/sandbox/install-cli-copy.ts';
import { createSandboxDirectory } from '../../src/sandbox/sandbox-directory.ts';
import { lookupOsUser } from '../../src/storage/os-user.ts';

/** The repository root (this file is test/support/cli.ts). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Per-process cache of the installed copy (test helper state, not product code). */
const installCache: { launcher?: string } = {};

/** Builds dist/barkeep.js with `npm run build` when it is missing. */
export function ensureBuilt(): void {
  if (existsSync(join(repoRoot, 'dist', 'barkeep.js'))) return;
  try {
    execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'pipe' });
  } catch (error) {
    const output = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npm run build failed:\n${output.stdout ?? ''}${output.stderr ?? ''}`);
  }
}

/**
 * Installs the built CLI into a world-readable sandbox directory, once per test process, and
 * returns the path of an executable launcher there that any OS user can run, e.g. in
 * archive_command. The copy is removed when the process exits (or by the sweeper if it is
 * SIGKILLed).
 */
export function installCliForOsUser(): string {
  if (installCache.launcher !== undefined) return installCache.launcher;
  ensureBuilt();
  const directory = createSandboxDirectory('cli');
  sandboxCleanup.add({
    emergencyCleanup: () => rmSync(directory, { recursive: true, force: true }),
  });
  installCache.launcher = installCliCopy(directory);
  return installCache.launcher;
}

/** Options of `runBarkeep`. */
export interface RunBarkeepOptions {
  /** Variables added to (or, when undefined, removed from) the inherited environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Written to stdin, which is then closed. */
  readonly input?: string | Buffer;
  /** Run the installed copy as this OS user (uid/gid, HOME), as PostgreSQL would. */
  readonly asOsUser?: string;
  /** Kill the process after this long (default 60 s) and reject. */
  readonly timeoutMs?: number;
  /** Working directory; default the repository (or the temp dir for another user). */
  readonly cwd?: string;
  /** Send SIGINT (as Ctrl-C would) once stdout contains this text. */
  readonly interruptWhenOutput?: string;
}

/** How a barkeep run ended. `code` is 128 + the signal number when killed by a signal. */
export interface RunBarkeepResult {
  readonly code: number;
  readonly stdout: string;
  /** stdout as bytes (get-wal writes binary). */
  readonly stdoutBuffer: Buffer;
  readonly stderr: string;
}

/** Runs `node dist/barkeep.js ARGS` and collects its exit code and output. */
export function runBarkeep(
  args: readonly string[],
  options: RunBarkeepOptions = {},
): Promise<RunBarkeepResult> {
  ensureBuilt();
  const env: NodeJS.ProcessEnv = { ...process.env };
  let script = join(repoRoot, 'dist', 'barkeep.js');
  let cwd = options.cwd ?? repoRoot;
  let ids: { uid: number; gid: number } | undefined;
  if (options.asOsUser !== undefined) {
    const user = lookupOsUser(options.asOsUser);
    script = join(installCliForOsUser(), '..', 'dist', 'barkeep.js');
    cwd = options.cwd ?? tmpdir();
    ids = { uid: user.uid, gid: user.gid };
    Object.assign(env, { HOME: user.home, USER: user.name, LOGNAME: user.name });
    // That user cannot write root's coverage directory. Deleting the variable is not enough:
    // Node copies it back into a child's environment unless the child's own value is set.
    env['NODE_V8_COVERAGE'] = '';
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(ids ?? {}),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      const marker = options.interruptWhenOutput;
      if (marker !== undefined && !interrupted && Buffer.concat(stdout).includes(marker)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => {}); // the CLI may exit without reading its input
    child.stdin.end(options.input ?? '');
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const outBuffer = Buffer.concat(stdout);
      const out = outBuffer.toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (timedOut) {
        reject(new Error(`barkeep ${args.join(' ')} timed out after ${timeoutMs} ms:\n${err}`));
        return;
      }
      const signalCode = signal === null ? 0 : 128 + (constants.signals[signal] ?? 0);
      resolve({ code: code ?? signalCode, stdout: out, stdoutBuffer: outBuffer, stderr: err });
    });
  });
}
