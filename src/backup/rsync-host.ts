import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { shellQuote } from './config-ssh-tar.ts';

/**
 * Where the cluster's files are read: on this host (`local-rsync`), or on the PostgreSQL host
 * through Barman's `ssh_command` (`rsync`), split into the ssh program with its options and the
 * destination (`user@host`) so rsync can be given `-e "<program> <options>"` and
 * `user@host:path/`.
 */
export type RsyncHost =
  | { readonly kind: 'local' }
  | {
      readonly kind: 'ssh';
      /** The configured shell fragment, run through `/bin/sh` for commands on the host. */
      readonly sshCommand: string;
      /** The ssh program and its options, as the shell expands them. */
      readonly shell: readonly string[];
      /** `user@host` (or `host`), the last word of ssh_command. */
      readonly destination: string;
    };

/** What a command run on the host returned. */
export interface HostOutcome {
  /** Exit status; null when killed by a signal. */
  readonly status: number | null;
  readonly stdout: Buffer;
  /** The last few KiB of stderr. */
  readonly stderr: string;
}

/** ssh(1) options that take an argument (OpenSSH 9). */
const SSH_OPTIONS_WITH_ARGUMENT: ReadonlySet<string> = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));
const STDERR_KEEP = 8192;

/**
 * `host` with ssh options added before its destination (and before a closing `--`, after which
 * ssh reads no option), in both of its forms.
 */
export function withOptions(
  host: Extract<RsyncHost, { kind: 'ssh' }>,
  extra: readonly string[],
): Extract<RsyncHost, { kind: 'ssh' }> {
  const at = host.shell.at(-1) === '--' ? host.shell.length - 1 : host.shell.length;
  const shell = [...host.shell.slice(0, at), ...extra, ...host.shell.slice(at)];
  return {
    ...host,
    shell,
    sshCommand: [...shell, host.destination].map(shellQuote).join(' '),
  };
}

/**
 * What ssh would use for the host's destination (`ssh -G`: its ssh_config applied, nothing
 * connected), as `keyword value` lines; undefined for `local-rsync` or when `ssh -G` fails
 * (another ssh program). Read once per backup, by the code that adjusts ssh's options.
 */
export async function sshSettings(
  host: RsyncHost,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (host.kind !== 'ssh') return undefined;
  // Before a closing `--` of ssh_command, or ssh would take -G for the destination.
  const [program, ...options] = withOptions(host, ['-G']).shell;
  const outcome = await runProcess(program!, [...options, host.destination], { env }).catch(
    () => undefined,
  );
  return outcome?.status === 0 ? outcome.stdout.toString('utf8') : undefined;
}

/**
 * Reads the options of an ssh command line (`words[0]` is the program), each flag with its
 * argument when it takes one (`-p 22`, `-p22`, `-o Key=value`, `-oKey=value`), up to the first
 * word that is neither (after `--` if there is one): `end` is its index, the destination's when
 * the words have one. The code that adds options checks them first, so that it never overrides
 * the user's own.
 */
export function parseSshOptions(words: readonly string[]): {
  options: { flag: string; argument?: string }[];
  end: number;
} {
  const options: { flag: string; argument?: string }[] = [];
  let index = 1;
  while (index < words.length) {
    const word = words[index]!;
    if (word === '--') {
      index++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    index++;
    for (let at = 1; at < word.length; at++) {
      const flag = word[at]!;
      if (!SSH_OPTIONS_WITH_ARGUMENT.has(flag)) {
        options.push({ flag });
        continue;
      }
      // The argument is the rest of the word, or the next word.
      const argument = at < word.length - 1 ? word.slice(at + 1) : (words[index++] ?? '');
      options.push({ flag, argument });
      break;
    }
  }
  return { options, end: index };
}

/**
 * The host a backup method reads from. `local-rsync` needs nothing; `rsync` needs `ssh_command`,
 * which is expanded by `/bin/sh` (so quoting and `$HOME` work as when Barman runs it) and split
 * at its destination.
 *
 * @throws BarkeepError `configInvalidValue` when ssh_command is missing or has no destination,
 * or words after it (a remote command cannot be combined with rsync).
 */
export async function resolveRsyncHost(
  method: 'rsync' | 'local-rsync',
  sshCommand: string | undefined,
  server: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RsyncHost> {
  if (method === 'local-rsync') return { kind: 'local' };
  if (!sshCommand?.trim()) {
    throw new BarkeepError('configInvalidValue', {
      what: 'cannot back up with rsync',
      subject: server,
      why: 'backup_method = rsync needs ssh_command (e.g. ssh postgres@pg)',
      hint: 'Set ssh_command in the server section, or use backup_method = local-rsync on the PostgreSQL host.',
    });
  }
  const words = await shellWords(sshCommand, env);
  return { kind: 'ssh', sshCommand, ...splitSshWords(words, sshCommand) };
}

/**
 * Splits an expanded ssh command line into the program with its options and the destination:
 * the first word that is neither an option nor an option's argument.
 */
export function splitSshWords(
  words: readonly string[],
  sshCommand: string,
): { shell: string[]; destination: string } {
  const invalid = (why: string) =>
    new BarkeepError('configInvalidValue', {
      what: 'unusable ssh_command',
      subject: sshCommand,
      why,
      hint: 'Write it as Barman does: ssh [options] user@host.',
    });
  if (words.length === 0) throw invalid('it is empty');
  const index = parseSshOptions(words).end;
  const destination = words[index];
  if (destination === undefined) throw invalid('it names no host to connect to');
  if (index < words.length - 1) {
    throw invalid(`it has words after the host '${destination}': a remote command cannot be used`);
  }
  return { shell: words.slice(0, index), destination };
}

/** The words a POSIX shell makes of `text` (quotes removed, variables expanded). */
async function shellWords(text: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const outcome = await runProcess('/bin/sh', ['-c', `printf '%s\\0' ${text}`], { env });
  if (outcome.status !== 0) {
    throw new BarkeepError('configInvalidValue', {
      what: 'unusable ssh_command',
      subject: text,
      why: `the shell cannot read it: ${outcome.stderr.trim() || `status ${outcome.status}`}`,
    });
  }
  return outcome.stdout
    .toString('utf8')
    .split('\0')
    .filter((word, index, all) => index < all.length - 1 || word !== '');
}

/**
 * rsync's `-e` value for the host: the ssh program and options, each quoted the way rsync
 * splits that string (single quotes, a quote doubled inside them).
 */
export function rsyncRemoteShell(host: Extract<RsyncHost, { kind: 'ssh' }>): string {
  return host.shell
    .map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "''")}'`))
    .join(' ');
}

/** How messages name the host: `the PostgreSQL host 'user@pg'` or this host's name. */
export function describeHost(host: RsyncHost): string {
  return host.kind === 'ssh'
    ? `the PostgreSQL host '${host.destination}'`
    : `this host '${hostname()}' (local-rsync)`;
}

/**
 * Runs `argv` on the host: directly for `local`, through `<ssh_command> '<quoted argv>'` for
 * `ssh`. stdout is collected whole (callers ask for bounded output: file lists, versions).
 */
export function runOnHost(
  host: RsyncHost,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<HostOutcome> {
  if (host.kind === 'local') return runProcess(argv[0]!, argv.slice(1), { env });
  const remote = argv.map(shellQuote).join(' ');
  return runProcess('/bin/sh', ['-c', `${host.sshCommand} ${shellQuote(remote)}`], { env });
}

/**
 * Checks that rsync runs on both hosts before anything starts: here, and on the PostgreSQL
 * host for `rsync` (also proving that ssh_command logs in without a password).
 *
 * @throws BarkeepError `operationFailed` naming the host that lacks rsync or cannot be reached.
 */
export async function checkRsyncOnHosts(host: RsyncHost, env = process.env): Promise<void> {
  const local = await runProcess('rsync', ['--version'], { env }).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    throw new BarkeepError('operationFailed', {
      what: 'rsync is not installed',
      subject: hostname(),
      why: `this host (the backup host) cannot run rsync (${code ?? String(error)})`,
      hint: 'Install it: apt-get install rsync.',
    });
  });
  if (local.status !== 0) {
    throw new BarkeepError('operationFailed', {
      what: 'rsync does not run',
      subject: hostname(),
      why: `rsync --version exited with status ${local.status}: ${local.stderr.trim()}`,
    });
  }
  if (host.kind === 'local') return;
  const remote = await runProcess(
    '/bin/sh',
    ['-c', `${host.sshCommand} ${shellQuote('command -v rsync >/dev/null 2>&1 || exit 127')}`],
    { env },
  );
  if (remote.status === 0) return;
  if (remote.status === 127) {
    throw new BarkeepError('operationFailed', {
      what: 'rsync is not installed',
      subject: host.destination,
      why: `${describeHost(host)} has no rsync in its PATH`,
      hint: 'Install it there: apt-get install rsync.',
    });
  }
  throw unreachable(host, remote);
}

/** The error for an ssh_command that did not get to run its remote command. */
export function unreachable(
  host: Extract<RsyncHost, { kind: 'ssh' }>,
  outcome: HostOutcome,
): BarkeepError {
  return new BarkeepError('operationFailed', {
    what: 'cannot reach the PostgreSQL host over ssh',
    subject: host.destination,
    why: `ssh_command exited with status ${outcome.status ?? 'unknown (killed)'}${outcome.stderr.trim() ? `: ${outcome.stderr.trim()}` : ''}`,
    hint: 'Check that ssh_command logs in without a password (try it by hand as the barkeep user).',
  });
}

/** Spawns a process, feeds `input`, collects stdout and the tail of stderr. */
export function runProcess(
  program: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: Buffer; signal?: AbortSignal } = {},
): Promise<HostOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    child.stdin.on('error', () => undefined); // the program may exit without reading
    child.stdin.end(options.input ?? Buffer.alloc(0));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout: Buffer.concat(stdout), stderr }));
  });
}
