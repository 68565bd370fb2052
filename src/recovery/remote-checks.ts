import { shellQuote } from '../backup/config-ssh-tar.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { remoteFailure, runRemoteScript } from './remote-shell.ts';

/** What a directory on the remote host looks like before a recovery writes there. */
export type RemoteDirectoryState =
  | { readonly kind: 'missing' }
  | { readonly kind: 'notdir' }
  | { readonly kind: 'unreadable' }
  | { readonly kind: 'entries'; readonly count: number };

/** The answer of the remote inspection script. */
export interface RemoteInspection {
  /** One state per inspected path, in order. */
  readonly directories: readonly RemoteDirectoryState[];
  /** The nearest existing directory of the destination, where free space was measured. */
  readonly measuredAt: string | undefined;
  /** Bytes available to the ssh user there (`df -Pk`), undefined when df said nothing usable. */
  readonly freeBytes: number | undefined;
}

/**
 * The POSIX shell script that inspects `paths` (missing, not a directory, unreadable, or how
 * many entries) and measures the free space of the file system that will hold `spaceOf` (its
 * nearest existing ancestor, with `df -Pk`). Each answer is a line starting with `barkeep-`, so
 * whatever a login script prints is ignored.
 */
export function inspectionScript(paths: readonly string[], spaceOf: string): string {
  return [
    `for d in ${paths.map(shellQuote).join(' ')}; do`,
    '  if [ -d "$d" ]; then',
    '    if ls -A -- "$d" >/dev/null 2>&1; then',
    '      echo "barkeep-dir entries $(ls -A -- "$d" | wc -l)"',
    '    else echo "barkeep-dir unreadable"; fi',
    '  elif [ -e "$d" ] || [ -L "$d" ]; then echo "barkeep-dir notdir"',
    '  else echo "barkeep-dir missing"; fi',
    'done',
    `d=${shellQuote(spaceOf)}`,
    'while [ ! -d "$d" ]; do d=$(dirname -- "$d"); done',
    'echo "barkeep-df $d"',
    `df -Pk -- "$d" | awk 'NR == 2 { print "barkeep-free " $4 }'`,
  ].join('\n');
}

/** Reads the output of {@link inspectionScript}. */
export function parseInspection(stdout: string): RemoteInspection {
  const directories: RemoteDirectoryState[] = [];
  let measuredAt: string | undefined;
  let freeBytes: number | undefined;
  for (const line of stdout.split('\n')) {
    const dir = /^barkeep-dir (missing|notdir|unreadable|entries (\d+))\s*$/.exec(line);
    if (dir) {
      if (dir[2] !== undefined) directories.push({ kind: 'entries', count: Number(dir[2]) });
      else directories.push({ kind: dir[1] as 'missing' | 'notdir' | 'unreadable' });
      continue;
    }
    if (line.startsWith('barkeep-df ')) measuredAt = line.slice('barkeep-df '.length);
    const free = /^barkeep-free (\d+)\s*$/.exec(line);
    if (free) freeBytes = Number(free[1]) * 1024;
  }
  return { directories, measuredAt, freeBytes };
}

/** One directory a remote recovery will write into, and what to call it in a refusal. */
export interface RemoteDirectory {
  readonly path: string;
  readonly what: string;
}

/**
 * The refusals of a local recovery, asked over ssh before anything is written: every directory
 * (DEST, the tablespaces' places) must be missing or empty, and the file system that will hold
 * DEST must have `neededBytes` free. One ssh round trip.
 */
export async function checkRemoteDirectories(
  sshCommand: string,
  directories: readonly RemoteDirectory[],
  neededBytes: number,
): Promise<RemoteInspection> {
  const destination = directories[0]!.path;
  const run = await runRemoteScript(
    sshCommand,
    inspectionScript(
      directories.map((directory) => directory.path),
      destination,
    ),
  );
  if (run.status !== 0)
    throw remoteFailure('cannot inspect the remote destination', destination, run);
  const inspection = parseInspection(run.stdout);
  if (inspection.directories.length !== directories.length) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot inspect the remote destination',
      subject: destination,
      why: `the remote shell answered ${inspection.directories.length} of ${directories.length} questions`,
      hint: 'The remote login shell must be a POSIX shell with ls, wc, df and awk.',
    });
  }
  directories.forEach((directory, index) => {
    const state = inspection.directories[index]!;
    if (state.kind === 'notdir')
      throw refuse(
        directory.path,
        `the ${directory.what} exists on the remote host and is not a directory`,
        'Choose another path.',
      );
    if (state.kind === 'unreadable')
      throw refuse(
        directory.path,
        `the ${directory.what} exists on the remote host and the ssh user cannot list it`,
        'Choose a directory the ssh user owns.',
      );
    if (state.kind === 'entries' && state.count > 0)
      throw refuse(
        directory.path,
        `the ${directory.what} exists on the remote host and is not empty (${state.count} entries)`,
        'Choose an empty or new directory; barkeep never overwrites files there.',
      );
  });
  if (inspection.freeBytes !== undefined && inspection.freeBytes < neededBytes) {
    throw refuse(
      destination,
      `it needs about ${Math.ceil(neededBytes / 1024 / 1024)} MiB and ${inspection.measuredAt ?? 'its file system'} has ${Math.floor(inspection.freeBytes / 1024 / 1024)} MiB free on the remote host`,
      'Free space or recover elsewhere.',
    );
  }
  return inspection;
}

function refuse(subject: string, why: string, hint: string): BarkeepError {
  return new BarkeepError('operationFailed', { what: 'refused to recover', subject, why, hint });
}
