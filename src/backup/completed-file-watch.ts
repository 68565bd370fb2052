import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';

/** How often the target directories are looked at while rsync runs. */
const POLL_MS = 250;

/** A running watch: {@link stop} ends it after a last look. */
export interface CompletedFileWatch {
  /** Stops polling; resolves once a look still running is over. */
  stop(): Promise<void>;
}

/**
 * Reports the files of an rsync run as they are completed, while it goes on: rsync writes each
 * file under a temporary name (`.name.XXXXXX`) and gives it its mode and time before renaming
 * it into place, so a file present under its own name in a fresh target is complete. Watching
 * lets the checksums and fsyncs of finished files overlap with the copy of the others in one
 * rsync run (one ssh connection), where splitting the copy into several runs to get that
 * overlap cost more in connections and file-list exchanges than it saved. `paths` are relative
 * to `target`, byte strings decoded as latin1 (see ListedEntry.path); each is reported once.
 * The directories are polled (a few readdir calls every 250 ms); errors of a look are ignored
 * (the caller digests every file after the run anyway, and reports errors then).
 */
export function watchCompletedFiles(
  target: string,
  paths: readonly string[],
  onCompleted: (paths: string[]) => void,
): CompletedFileWatch {
  const pending = new Map<string, Map<string, string>>();
  for (const path of paths) {
    const directory = posix.dirname(path);
    const names = pending.get(directory) ?? new Map<string, string>();
    pending.set(directory, names);
    names.set(posix.basename(path), path);
  }
  let looking: Promise<void> | undefined;
  const look = async () => {
    for (const [directory, names] of pending) {
      const present = await readdir(directoryPath(target, directory), {
        encoding: 'latin1',
      }).catch(() => [] as string[]);
      const done: string[] = [];
      for (const name of present) {
        const path = names.get(name);
        if (path === undefined) continue;
        names.delete(name);
        done.push(path);
      }
      if (names.size === 0) pending.delete(directory);
      if (done.length > 0) onCompleted(done);
    }
  };
  const timer = setInterval(() => {
    if (looking || pending.size === 0) return;
    looking = look().finally(() => {
      looking = undefined;
    });
  }, POLL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await looking;
    },
  };
}

/** The directory's path for the file system: `target` as UTF-8, the relative part as its bytes. */
function directoryPath(target: string, directory: string): Buffer {
  if (directory === '.') return Buffer.from(target);
  return Buffer.concat([Buffer.from(`${target}/`), Buffer.from(directory, 'latin1')]);
}
