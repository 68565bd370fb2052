import { posix } from 'node:path';
import { type ConfigFileSource, type FetchedFile, isWithin } from './config-file-source.ts';
import { compareNames, isIncludedConfName, parseConfigIncludes } from './config-file-syntax.ts';
import { parseAuthFileReferences } from './config-hba-syntax.ts';
import { normalizePath } from './config-locations.ts';

/** What a configuration file is to the server; `directory-file` is only kept alongside. */
export type ExternalConfigKind =
  | 'config_file'
  | 'hba_file'
  | 'ident_file'
  | 'include'
  | 'directory-file';

/** PostgreSQL's CONF_FILE_MAX_DEPTH: deeper nesting fails in the server too. */
const maxNesting = 10;

/** A directory read whole beforehand: include_dir inside it is answered from its files. */
export interface SweptDirectory {
  readonly dir: string;
  /** Subtrees the sweep left out. */
  readonly exclude: readonly string[];
  readonly files: readonly FetchedFile[];
}

/** What a walk found: each file once, with its strongest kind, in the order first met. */
export interface WalkResult {
  readonly found: Map<string, { file: FetchedFile; kind: ExternalConfigKind }>;
  /** Files reached through postgresql.conf's include directives (Barman's included_files). */
  readonly included: Set<string>;
  readonly warnings: string[];
}

const rank: Readonly<Record<ExternalConfigKind, number>> = {
  config_file: 0,
  hba_file: 1,
  ident_file: 2,
  include: 3,
  'directory-file': 4,
};

/**
 * Follows the configuration the way the server reads it: postgresql.conf and its `include`,
 * `include_if_exists` and `include_dir` directives (relative names against the including file's
 * directory, include_dir taking `*.conf` in byte order, nesting up to PostgreSQL's 10 levels),
 * then pg_hba.conf and pg_ident.conf with their include directives (PostgreSQL 16+) and
 * pg_hba.conf's `@file` lists. Every file is read once (from the swept directory, else from
 * `source`); a file
 * met again (a diamond or a loop) is not followed again, and a loop becomes a warning. Missing
 * files are warnings except for `include_if_exists`; only a missing config_file is an error
 * (thrown by the caller, which checks `found`).
 */
export class ConfigWalk {
  readonly result: WalkResult = { found: new Map(), included: new Set(), warnings: [] };
  readonly #source: ConfigFileSource;
  /** Files already read, by path: null when known to be missing. */
  readonly #cache: Map<string, FetchedFile | null>;
  readonly #visited = new Set<string>();
  readonly #active = new Set<string>();
  readonly #swept: SweptDirectory | undefined;

  constructor(source: ConfigFileSource, swept?: SweptDirectory) {
    this.#source = source;
    this.#swept = swept;
    this.#cache = new Map((swept?.files ?? []).map((file) => [file.path, file]));
  }

  /** Walks postgresql.conf and everything it includes. */
  async walkServerConfig(configFile: string): Promise<void> {
    await this.#visit(configFile, 'config_file', 'server', 0, false);
  }

  /** Walks pg_hba.conf (with `@file` lists) or pg_ident.conf and what they include. */
  async walkAuthFile(path: string, kind: 'hba_file' | 'ident_file'): Promise<void> {
    await this.#visit(path, kind, kind === 'hba_file' ? 'hba' : 'ident', 0, false);
  }

  /** Records a file of the swept config directory that nothing references (yet). */
  addDirectoryFile(file: FetchedFile): void {
    this.#record(file, 'directory-file');
  }

  async #visit(
    path: string,
    kind: ExternalConfigKind,
    syntax: 'server' | 'hba' | 'ident' | 'list',
    depth: number,
    missingOk: boolean,
  ): Promise<void> {
    const key = `${syntax}:${path}`;
    if (this.#active.has(key)) {
      this.result.warnings.push(`include loop: ${path} includes itself; not followed again`);
      return;
    }
    if (this.#visited.has(key)) return;
    if (depth > maxNesting) {
      this.result.warnings.push(`${path} is nested more than ${maxNesting} levels deep; skipped`);
      return;
    }
    this.#visited.add(key);
    const file = await this.read(path);
    if (file === undefined) {
      if (!missingOk && kind !== 'config_file') {
        this.result.warnings.push(`${path} (${kind}) does not exist on the PostgreSQL host`);
      }
      return;
    }
    this.#record(file, kind);
    if (syntax === 'server' && kind === 'include') this.result.included.add(path);
    this.#active.add(key);
    try {
      await this.#follow(file, syntax, depth);
    } finally {
      this.#active.delete(key);
    }
  }

  async #follow(
    file: FetchedFile,
    syntax: 'server' | 'hba' | 'ident' | 'list',
    depth: number,
  ): Promise<void> {
    const text = file.content.toString('utf8');
    const references =
      syntax === 'server'
        ? parseConfigIncludes(text)
        : parseAuthFileReferences(text, syntax !== 'ident').filter(
            (reference) => syntax !== 'list' || reference.directive === 'at-file',
          );
    const base = posix.dirname(file.path);
    for (const reference of references) {
      const target = normalizePath(posix.resolve(base, reference.target));
      if (reference.directive === 'at-file') {
        await this.#visit(target, 'include', 'list', depth + 1, false);
      } else if (reference.directive === 'include_dir') {
        for (const member of await this.#confFilesIn(target, file.path)) {
          await this.#visit(member, 'include', syntax, depth + 1, false);
        }
      } else {
        const missingOk = reference.directive === 'include_if_exists';
        await this.#visit(target, 'include', syntax, depth + 1, missingOk);
      }
    }
  }

  /** The `*.conf` files of an include_dir, in byte order of their names. */
  async #confFilesIn(dir: string, includer: string): Promise<string[]> {
    const swept = this.#swept;
    if (
      swept !== undefined &&
      isWithin(dir, swept.dir) &&
      !swept.exclude.some((excluded) => isWithin(dir, excluded))
    ) {
      return swept.files
        .filter((file) => posix.dirname(file.path) === dir)
        .filter((file) => isIncludedConfName(posix.basename(file.path)))
        .map((file) => file.path)
        .sort((a, b) => compareNames(posix.basename(a), posix.basename(b)));
    }
    const listed = await this.#source.readTree(dir, {
      recursive: false,
      exclude: [],
      accept: isIncludedConfName,
    });
    if (listed === undefined) {
      this.result.warnings.push(`include_dir ${dir} (from ${includer}) does not exist`);
      return [];
    }
    for (const file of listed.files) this.#cache.set(file.path, file);
    this.result.warnings.push(...listed.skipped.map((entry) => `skipped ${entry}`));
    return listed.files
      .map((file) => file.path)
      .sort((a, b) => compareNames(posix.basename(a), posix.basename(b)));
  }

  /** A file through the cache, reading it from the source once. */
  async read(path: string): Promise<FetchedFile | undefined> {
    const cached = this.#cache.get(path);
    if (cached !== undefined) return cached ?? undefined;
    const file = await this.#source.readFile(path);
    this.#cache.set(path, file ?? null);
    return file;
  }

  #record(file: FetchedFile, kind: ExternalConfigKind): void {
    const known = this.result.found.get(file.path);
    if (known === undefined) this.result.found.set(file.path, { file, kind });
    else if (rank[kind] < rank[known.kind]) known.kind = kind;
  }
}
