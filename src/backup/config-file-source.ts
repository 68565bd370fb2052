import { BarkeepError } from '../errors/barkeep-error.ts';

/** One file read from the PostgreSQL host. */
export interface FetchedFile {
  /** Absolute, normalised path on the PostgreSQL host. */
  readonly path: string;
  /** Its length in bytes (of `content`). */
  readonly size: number;
  /**
   * Permission bits (e.g. 0o640) when the transport tells them (ssh + tar); null over SQL,
   * whose file functions do not report modes.
   */
  readonly mode: number | null;
  readonly content: Buffer;
}

/** What `readTree` takes from a directory. */
export interface TreeOptions {
  /** Descend into subdirectories (the config directory sweep) or not (include_dir). */
  readonly recursive: boolean;
  /** Subtrees left out, absolute (PGDATA when it sits inside the config directory). */
  readonly exclude: readonly string[];
  /** Which base names to take; default all. */
  readonly accept?: (name: string) => boolean;
}

/** Caps that keep memory bounded whatever the PostgreSQL host holds. */
export interface FetchLimits {
  /** Largest single file; default 16 MiB. */
  readonly maxFileBytes: number;
  /** Most bytes one `readTree` may return; default 64 MiB. */
  readonly maxTreeBytes: number;
  /** Most files one `readTree` may return; default 1000. */
  readonly maxTreeFiles: number;
  /** Deepest subdirectory a recursive `readTree` enters (SQL); default 8. */
  readonly maxDepth: number;
}

/** The defaults of {@link FetchLimits}: far above any real configuration directory. */
export const defaultFetchLimits: FetchLimits = {
  maxFileBytes: 16 * 1024 * 1024,
  maxTreeBytes: 64 * 1024 * 1024,
  maxTreeFiles: 1000,
  maxDepth: 8,
};

/**
 * How configuration files are read from the PostgreSQL host: over the database connection
 * (server-side file functions) or over ssh (a remote tar). Discovery is written against this
 * interface so both give the same result.
 */
export interface ConfigFileSource {
  /** `sql` or `ssh`, for messages. */
  readonly transport: 'sql' | 'ssh';
  /** A regular file (symlinks followed); undefined when there is none at that path. */
  readFile(path: string): Promise<FetchedFile | undefined>;
  /**
   * The regular files below a directory (symlinks followed), in no particular order; undefined
   * when the directory does not exist. Files that vanish or cannot be opened while it is walked
   * are reported in `skipped`.
   *
   * @throws FetchLimitExceeded when the directory holds more than the limits allow.
   */
  readTree(
    dir: string,
    options: TreeOptions,
  ): Promise<{ files: FetchedFile[]; skipped: string[] } | undefined>;
}

/**
 * Thrown by a source when a file or directory is larger than {@link FetchLimits} allow, so the
 * caller can give up a best-effort directory sweep but fail on a file the server really reads.
 * A BarkeepError (`operationFailed`), so it reads well if it ends a command.
 */
export class FetchLimitExceeded extends BarkeepError {
  constructor(subject: string, why: string) {
    super('operationFailed', {
      what: 'cannot keep the configuration files',
      subject,
      why,
      hint: 'Move unrelated files out of the PostgreSQL configuration directory.',
    });
  }
}

/** Whether `path` is `dir` or lies below it (both absolute and normalised). */
export function isWithin(path: string, dir: string): boolean {
  if (dir === '/') return true;
  return path === dir || path.startsWith(`${dir}/`);
}
