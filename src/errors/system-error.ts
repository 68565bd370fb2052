import { BarkeepError } from './barkeep-error.ts';

const reasons: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EEXIST: 'it already exists',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'it is a directory',
  ENOTEMPTY: 'the directory is not empty',
  EIO: 'input/output error from the device',
  EMFILE: 'too many open files',
  EXDEV: 'it is on another file system',
};

const hints: Record<string, string> = {
  ENOSPC: 'Free space on that file system; nothing stored before was changed.',
  EDQUOT: 'Raise the quota or free space; nothing stored before was changed.',
  EACCES: 'Run barkeep as the user that owns the catalog, or fix the permissions.',
  EPERM: 'Run barkeep as the user that owns the catalog, or fix the permissions.',
  EROFS: 'Remount the file system read-write.',
  EMFILE: 'Raise the open-files limit (ulimit -n).',
};

/**
 * Turns a Node.js system error (errno code) into a BarkeepError of kind `io` naming the path and
 * a readable reason, so a full disk or a permission problem reads the same everywhere.
 */
export function ioError(what: string, path: string, error: unknown): BarkeepError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const why = reasons[code] ?? (error instanceof Error ? error.message : String(error));
  const hint = hints[code];
  return new BarkeepError('io', {
    what,
    subject: path,
    why,
    cause: error,
    ...(hint ? { hint } : {}),
  });
}

/** The errno code of a Node.js system error, or undefined. */
export function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
