import { posix } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import {
  type ConfigFileSource,
  defaultFetchLimits,
  type FetchedFile,
  FetchLimitExceeded,
  type FetchLimits,
  isWithin,
  type TreeOptions,
} from './config-file-source.ts';
import {
  type MemberDecision,
  type RemoteTarOutcome,
  remoteMissingStatus,
  runRemoteTar,
  shellQuote,
  type TarMember,
  tarPattern,
} from './config-ssh-tar.ts';

/** Options of {@link sshConfigFileSource}. */
export interface SshSourceOptions {
  readonly limits?: FetchLimits;
  /** Environment of the local shell running ssh_command; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Reads configuration files from the PostgreSQL host through Barman's `ssh_command`: each call
 * runs one remote `cd / && tar -chf - ./<paths>` (symlinks followed, as the server follows them)
 * and unpacks the stream as it arrives, keeping only the wanted regular files, within `limits`,
 * with their modes. Needs a POSIX shell and tar on the remote host, no database privilege.
 */
export function sshConfigFileSource(
  sshCommand: string,
  options: SshSourceOptions = {},
): ConfigFileSource {
  const limits = options.limits ?? defaultFetchLimits;
  const run = (
    script: string,
    subject: string,
    decide: (member: TarMember) => MemberDecision,
    take: (member: TarMember, content: Buffer) => void,
  ): Promise<RemoteTarOutcome> =>
    runRemoteTar(sshCommand, script, subject, decide, take, options.env);

  const readFile = async (path: string): Promise<FetchedFile | undefined> => {
    const relative = remoteRelative(path);
    let found: FetchedFile | undefined;
    const outcome = await run(
      [
        'cd / || exit 2',
        `[ -f ${relative} ] || exit ${remoteMissingStatus}`,
        `exec tar -chf - ${relative}`,
      ].join('\n'),
      path,
      (member) => {
        if (member.path !== path || !isRegular(member)) return 'skip';
        if ((member.header.size ?? 0) > limits.maxFileBytes) {
          throw new FetchLimitExceeded(path, `it has more than ${limits.maxFileBytes} bytes`);
        }
        return 'read';
      },
      (member, content) => {
        found = fetched(member, content);
      },
    );
    if (outcome.status === remoteMissingStatus) return undefined;
    if (outcome.status !== 0) throw remoteFailure(path, outcome);
    return found;
  };

  const readTree = async (
    dir: string,
    tree: TreeOptions,
  ): Promise<{ files: FetchedFile[]; skipped: string[] } | undefined> => {
    const relative = remoteRelative(dir);
    const excludes = tree.exclude
      .filter((excluded) => isWithin(excluded, dir) && excluded !== dir)
      .map((excluded) => ` --exclude=${shellQuote(tarPattern(`.${excluded}`))}`)
      .join('');
    const script = tree.recursive
      ? `exec tar -chf -${excludes} ${relative}`
      : [
          'set --',
          `for f in ${relative}/* ${relative}/.[!.]* ${relative}/..?*; do`,
          '  [ -f "$f" ] && set -- "$@" "$f"',
          'done',
          '[ $# -eq 0 ] || exec tar -chf - --no-recursion "$@"',
        ].join('\n');
    const files: FetchedFile[] = [];
    const skipped: string[] = [];
    const kept = new Map<string, Buffer>();
    let bytes = 0;
    const outcome = await run(
      `cd / || exit 2\n[ -d ${relative} ] || exit ${remoteMissingStatus}\n${script}`,
      dir,
      (member) => {
        const { path } = member;
        if (!isWithin(path, dir) || path === dir || member.header.type === 'directory') {
          return 'skip';
        }
        if (tree.exclude.some((excluded) => isWithin(path, excluded))) return 'skip';
        if (!tree.recursive && posix.dirname(path) !== dir) return 'skip';
        if (tree.accept !== undefined && !tree.accept(posix.basename(path))) return 'skip';
        if (member.header.type === 'link') {
          const target = kept.get(`/${(member.header.linkname ?? '').replace(/^(\.\/)+/, '')}`);
          if (target === undefined) skipped.push(`${path} (a hard link to a file not kept)`);
          else files.push(fetched(member, target));
          return 'skip';
        }
        if (!isRegular(member)) {
          skipped.push(`${path} (a ${member.header.type ?? 'special file'}, not a regular file)`);
          return 'skip';
        }
        const size = member.header.size ?? 0;
        if (
          size > limits.maxFileBytes ||
          files.length + 1 > limits.maxTreeFiles ||
          bytes + size > limits.maxTreeBytes
        ) {
          throw new FetchLimitExceeded(
            dir,
            `it holds more than ${limits.maxTreeFiles} files or ${limits.maxTreeBytes} bytes`,
          );
        }
        bytes += size;
        return 'read';
      },
      (member, content) => {
        kept.set(member.path, content);
        files.push(fetched(member, content));
      },
    );
    if (outcome.status === remoteMissingStatus) return undefined;
    if (outcome.status !== 0) {
      // GNU tar exits 1 or 2 after reporting files it could not read (a dangling link, a
      // vanished file) but still writes the others: keep those and report the rest.
      if ((outcome.status !== 1 && outcome.status !== 2) || outcome.stderr === '') {
        throw remoteFailure(dir, outcome);
      }
      const lines = outcome.stderr.trim().split('\n');
      skipped.push(...lines.filter((line) => !/Exiting with failure status/.test(line)));
    }
    return { files, skipped };
  };

  return { transport: 'ssh', readFile, readTree };
}

/** `./<path without the leading slash>`, shell-quoted: relative to `/` and never an option. */
function remoteRelative(path: string): string {
  return shellQuote(`.${path === '/' ? '' : path}`);
}

function isRegular(member: TarMember): boolean {
  return member.header.type === 'file' || member.header.type === 'contiguous-file';
}

function fetched(member: TarMember, content: Buffer): FetchedFile {
  return {
    path: member.path,
    size: content.length,
    mode: (member.header.mode ?? 0o600) & 0o7777,
    content,
  };
}

function remoteFailure(subject: string, outcome: RemoteTarOutcome): BarkeepError {
  const status = outcome.status ?? 'unknown (killed)';
  const detail = outcome.stderr === '' ? '' : `: ${outcome.stderr.trim()}`;
  return new BarkeepError('operationFailed', {
    what: 'cannot read configuration files over ssh',
    subject,
    why: `ssh_command and the remote tar exited with status ${status}${detail}`,
    hint: 'Check that ssh_command logs in without a password and the remote user may read it.',
  });
}
