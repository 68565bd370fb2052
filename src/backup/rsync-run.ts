import { BarkeepError } from '../errors/barkeep-error.ts';
import { describeHost, type RsyncHost, rsyncRemoteShell, runProcess } from './rsync-host.ts';

/** How a run may reuse the previous backup (`reuse_backup`). */
export interface RsyncReuse {
  readonly mode: 'link' | 'copy';
  /** The previous backup's copy of the same tree (`base/<id>/data` or `base/<id>/<oid>`). */
  readonly directory: string;
}

/** One rsync run: a list of paths of one tree copied into the backup. */
export interface RsyncRun {
  readonly host: RsyncHost;
  /** The tree on the PostgreSQL host (PGDATA or a tablespace location). */
  readonly source: string;
  /** Its copy in the backup directory. */
  readonly target: string;
  /** Relative paths, byte strings (see ListedEntry.path). */
  readonly paths: readonly string[];
  readonly reuse?: RsyncReuse | undefined;
  /** Transfer every file even when size and time match the reused copy (`--ignore-times`). */
  readonly ignoreTimes?: boolean;
  /** Barman's `network_compression` (`-z`), only over ssh. */
  readonly compress?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** What a successful run reported besides the copy. */
export interface RsyncResult {
  /** Lines about files that vanished before rsync reached them (no error: WAL replay recreates them). */
  readonly vanished: readonly string[];
}

/**
 * Runs rsync once: `--files-from=-` (NUL-separated, sent on stdin, so it also works when the
 * PostgreSQL host sends), symbolic links as links, permissions and times kept (times are what
 * the next backup's reuse compares), no owner (barkeep may not be root; recovery sets it).
 * With `reuse`, `--link-dest` or `--copy-dest` names the previous backup's copy: unchanged
 * files are hard-linked or copied locally instead of transferred. Exit 24 and "No such file"
 * reports under exit 23 are files PostgreSQL removed meanwhile: not a failure.
 *
 * @throws BarkeepError `operationFailed` with rsync's own messages for any other failure.
 */
export async function runRsync(run: RsyncRun): Promise<RsyncResult> {
  if (run.paths.length === 0) return { vanished: [] };
  const args = ['-lpts', '--from0', '--files-from=-', '--no-specials', '--no-devices'];
  if (run.ignoreTimes) args.push('--ignore-times');
  if (run.reuse) args.push(`--${run.reuse.mode}-dest=${run.reuse.directory}`);
  let source = `${run.source.replace(/\/+$/, '')}/`;
  if (run.host.kind === 'ssh') {
    args.push('-e', rsyncRemoteShell(run.host));
    if (run.compress) args.push('-z');
    source = `${run.host.destination}:${source}`;
  }
  args.push(source, `${run.target.replace(/\/+$/, '')}/`);
  const input = Buffer.from(`${run.paths.join('\0')}\0`, 'latin1');
  const outcome = await runProcess('rsync', args, { input, ...(run.env ? { env: run.env } : {}) });
  const lines = outcome.stderr.split('\n').filter((line) => line.trim() !== '');
  if (outcome.status === 0) return { vanished: [] };
  const reports = lines.filter((line) => line.startsWith('rsync') || line.startsWith('file has'));
  if (
    (outcome.status === 24 || outcome.status === 23) &&
    reports.length > 0 &&
    reports.every(isVanishedLine)
  ) {
    return { vanished: lines.filter((line) => !/^rsync (error|warning):/.test(line)) };
  }
  throw new BarkeepError('operationFailed', {
    what: 'rsync failed',
    subject: run.source,
    why: `copying from ${describeHost(run.host)} exited with status ${outcome.status ?? 'unknown (killed)'}: ${lines.slice(-6).join(' / ') || 'no message'}`,
    hint:
      run.host.kind === 'ssh'
        ? 'Check ssh_command, that rsync is installed on both hosts, and free space on the backup host.'
        : 'Check that barkeep runs as the PostgreSQL OS user and that the backup host has free space.',
  });
}

/** rsync's reports about a source file that disappeared, and its summary lines for them. */
function isVanishedLine(line: string): boolean {
  return (
    /^file has vanished: /.test(line) ||
    /^rsync: \[sender\] .*No such file or directory \(2\)$/.test(line) ||
    /^rsync: .*(link_stat|send_files failed to open|readlink_stat).*No such file or directory \(2\)$/.test(
      line,
    ) ||
    /^rsync error: some files\/attrs were not transferred/.test(line) ||
    /^rsync warning: some files vanished before they could be transferred/.test(line)
  );
}
