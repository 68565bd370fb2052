// A private OpenSSH server on a free loopback port, for tests that need a real "remote host":
// this machine, reached through ssh as another OS user (postgres when the tests run as root).
// It has its own host key, its own sshd_config and authorized key file in a sandbox directory,
// and is stopped by its PID; the system's sshd and /etc/ssh are never touched.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { sandboxCleanup } from '../../src/sandbox/cleanup-registry.ts';
import { findFreePort } from '../../src/sandbox/free-port.ts';
import { createSandboxDirectory } from '../../src/sandbox/sandbox-directory.ts';
import { lookupOsUser, type OsUser } from '../../src/storage/os-user.ts';

/** Debian's openssh-server; sshd re-executes itself, so it must be started by absolute path. */
export const sshdPath = '/usr/sbin/sshd';

/** A running test sshd. */
export interface TestSshd {
  readonly port: number;
  /** The account the sessions run as (postgres when the tests run as root). */
  readonly user: OsUser;
  /** The client's private key (owned by `user`, mode 0600, so that account can use it too). */
  readonly keyFile: string;
  /**
   * A Barman-style ssh_command that logs in as `user`: `ssh -p N -i KEY -o
   * StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes user@127.0.0.1`.
   */
  readonly sshCommand: string;
  /** What sshd logged (it runs with -e: the log goes to its stderr). */
  log(): string;
  /** Stops sshd (SIGTERM by PID, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Why a test sshd cannot run here, or undefined when it can: the binaries are missing (`.ci/run`
 * installs openssh-server and openssh-client when they are), or there is no account to log in as.
 */
export function sshdUnavailableReason(): string | undefined {
  if (!existsSync(sshdPath))
    return `${sshdPath} is not installed (apt-get install openssh-server; .ci/run does it)`;
  for (const tool of ['ssh', 'ssh-keygen']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (apt-get install openssh-client; .ci/run does it)`;
    }
  }
  try {
    sessionUser();
  } catch (error) {
    return `no account to log in as: ${(error as Error).message}`;
  }
  return undefined;
}

/** postgres when we are root (the tests' "remote" PostgreSQL account), else ourselves. */
function sessionUser(): OsUser {
  return process.getuid?.() === 0 ? lookupOsUser('postgres') : lookupOsUser(userInfo().username);
}

/**
 * Starts sshd in the foreground (`-D -e`) on a free 127.0.0.1 port and waits until a real login
 * works. sshd runs as the session account itself, the way OpenSSH's own regression tests run
 * it: an unprivileged sshd needs no privilege-separation directory (/run/sshd) and no PAM, and
 * it can only log in as its own account, which is all a test wants. (As root with `UsePAM no`,
 * sshd would refuse Debian's postgres account, whose shadow password is `!`: locked.)
 */
export async function startTestSshd(options: { forcedCommand?: string } = {}): Promise<TestSshd> {
  const reason = sshdUnavailableReason();
  if (reason !== undefined) throw new Error(`cannot start a test sshd: ${reason}`);
  const user = sessionUser();
  const asRoot = process.getuid?.() === 0;
  const directory = createSandboxDirectory('sshd', asRoot ? user : undefined);
  chmodSync(directory, 0o755);
  const hostKey = join(directory, 'host_key');
  const keyFile = join(directory, 'client_key');
  const authorizedKeys = join(directory, 'authorized_keys');
  const configFile = join(directory, 'sshd_config');
  const pidFile = join(directory, 'sshd.pid');
  for (const key of [hostKey, keyFile])
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'barkeep-test', '-f', key]);
  const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
  // With a forced command, the key runs only that (the ssh-gate setup of the README).
  const restrictions = options.forcedCommand
    ? `command="${options.forcedCommand.replace(/"/g, '\\"')}",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding `
    : '';
  writeFileSync(authorizedKeys, `${restrictions}${publicKey}\n`);
  chmodSync(authorizedKeys, 0o644);
  if (asRoot) {
    for (const path of [hostKey, keyFile, authorizedKeys, `${hostKey}.pub`, `${keyFile}.pub`])
      chownSync(path, user.uid, user.gid);
  }
  let lastFailure = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await findFreePort();
    writeFileSync(
      configFile,
      [
        'ListenAddress 127.0.0.1',
        `Port ${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${pidFile}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        `AllowUsers ${user.name}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'StrictModes no',
        'UsePAM no',
        'PrintMotd no',
        'PrintLastLog no',
        'X11Forwarding no',
        'AllowTcpForwarding no',
        'MaxStartups 100:30:200',
        'MaxSessions 100',
        'LogLevel INFO',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const child = spawn(sshdPath, ['-D', '-e', '-f', configFile], {
      cwd: directory,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(asRoot ? { uid: user.uid, gid: user.gid } : {}),
    });
    const chunks: Buffer[] = [];
    child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
    const log = () => Buffer.concat(chunks).toString('utf8');
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('error', (error) => chunks.push(Buffer.from(`spawn failed: ${error.message}\n`)));
    const emergency = {
      emergencyCleanup: () => {
        killByPid(child, 'SIGKILL');
        rmSync(directory, { recursive: true, force: true });
      },
    };
    sandboxCleanup.add(emergency);
    const sshCommand = [
      'ssh',
      `-p ${port}`,
      `-i ${keyFile}`,
      '-o StrictHostKeyChecking=no',
      '-o UserKnownHostsFile=/dev/null',
      '-o BatchMode=yes',
      '-o LogLevel=ERROR',
      `${user.name}@127.0.0.1`,
    ].join(' ');
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        killByPid(child, 'SIGTERM');
        const timer = setTimeout(() => killByPid(child, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(directory, { recursive: true, force: true });
      sandboxCleanup.delete(emergency);
    };
    const ready = await waitUntilListening(port, child, log);
    // A forced command answers `true` with a refusal: then only the listening port is checked.
    if (ready && (options.forcedCommand !== undefined || loginWorks(sshCommand))) {
      return { port, user, keyFile, sshCommand, log, stop };
    }
    lastFailure = log();
    killByPid(child, 'SIGKILL');
    await exited;
    sandboxCleanup.delete(emergency);
  }
  rmSync(directory, { recursive: true, force: true });
  throw new Error(`the test sshd did not start:\n${lastFailure}`);
}

function killByPid(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // already gone
  }
}

/** Waits for "Server listening" and a TCP connection that succeeds; false if sshd exits. */
async function waitUntilListening(
  port: number,
  child: ChildProcess,
  log: () => string,
): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (log().includes('Server listening') && (await accepts(port))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function loginWorks(sshCommand: string): boolean {
  try {
    execFileSync('sh', ['-c', `${sshCommand} true`], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}
