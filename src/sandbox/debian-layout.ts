import {
  appendFileSync,
  chmodSync,
  chownSync,
  mkdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { OsUser } from '../storage/os-user.ts';
import { formatPostgresSettings } from './postgres-settings.ts';

/** Which Debian cluster a sandbox imitates: `/etc/postgresql/<version>/<cluster>/`. */
export interface DebianLayoutOptions {
  /** The version directory name; default: the major of the binaries in use. */
  readonly version?: string;
  /** The cluster name; default `main`. */
  readonly cluster?: string;
}

/** Where the configuration of a Debian-style sandbox lives. */
export interface DebianConfigFiles {
  /** `<baseDir>/etc/postgresql/<version>/<cluster>`. */
  readonly configDir: string;
  /** `<configDir>/postgresql.conf`, given to the server as `-c config_file=...`. */
  readonly configFile: string;
  /** `<configDir>/pg_hba.conf`. */
  readonly hbaFile: string;
  /** `<configDir>/conf.d`, included through `include_dir = 'conf.d'`. */
  readonly confDir: string;
}

/** What `moveConfigToDebianLayout` needs. */
export interface DebianLayoutSpec {
  /** The sandbox directory; `etc/postgresql/...` is created in it. */
  readonly baseDir: string;
  /** PGDATA freshly made by initdb; its three configuration files are moved out. */
  readonly dataDir: string;
  /** The major, the default version directory. */
  readonly major: number;
  /** Account owning the files when we are root (PostgreSQL must read them). */
  readonly osUser: OsUser | undefined;
  readonly options: DebianLayoutOptions;
}

const startConf = `# Automatic startup configuration
#   auto: automatically start the cluster
#   manual: manual startup with pg_ctlcluster/postgresql@.service only
#   disabled: refuse to start cluster
# (written by the barkeep sandbox, as pg_createcluster does)

auto
`;

const pgCtlConf = `# Automatic pg_ctl configuration
# This configuration file contains cluster specific options to be passed to
# pg_ctl(1).

pg_ctl_options = ''
`;

const environmentFile = `# environment variables for postgres processes
# This file has the same syntax as postgresql.conf:
#  VARIABLE = simple_value
#  VARIABLE2 = 'any value!'
`;

/**
 * The version and cluster directory names of a Debian layout, defaults applied, checked to be
 * plain names so they cannot climb out of the sandbox. Called before initdb so a bad name fails
 * fast.
 *
 * @throws BarkeepError `usage` for a name with other characters than letters, digits, `._-`.
 */
export function debianClusterNames(
  options: DebianLayoutOptions,
  major: number,
): { readonly version: string; readonly cluster: string } {
  const version = options.version ?? String(major);
  const cluster = options.cluster ?? 'main';
  for (const part of [version, cluster]) {
    if (!/^[A-Za-z0-9._-]+$/.test(part) || part === '.' || part === '..') {
      throw new BarkeepError('usage', {
        what: 'invalid Debian layout',
        subject: part,
        why: 'a version or cluster name has only letters, digits, dots, dashes and underscores',
      });
    }
  }
  return { version, cluster };
}

/**
 * Rearranges a fresh initdb output the way Debian's `pg_createcluster` leaves a cluster:
 * postgresql.conf, pg_hba.conf and pg_ident.conf move to
 * `<baseDir>/etc/postgresql/<ver>/<cluster>/`, next to `start.conf`, `pg_ctl.conf`,
 * `environment` and a `conf.d/` directory holding one file; postgresql.conf then names
 * `data_directory`, `hba_file`, `ident_file` and `include_dir = 'conf.d'`. The server must be
 * started with `-c config_file=<configFile>`, as pg_ctlcluster does. This lets tests exercise
 * configuration kept outside PGDATA without touching the real /etc.
 */
export function moveConfigToDebianLayout(spec: DebianLayoutSpec): DebianConfigFiles {
  const { version, cluster } = debianClusterNames(spec.options, spec.major);
  const etc = join(spec.baseDir, 'etc');
  const configDir = join(etc, 'postgresql', version, cluster);
  const confDir = join(configDir, 'conf.d');
  const owned = (path: string): void => {
    if (spec.osUser !== undefined) chownSync(path, spec.osUser.uid, spec.osUser.gid);
  };
  for (const dir of [etc, join(etc, 'postgresql'), join(etc, 'postgresql', version), configDir]) {
    mkdirSync(dir, { mode: 0o755 });
    owned(dir);
  }
  mkdirSync(confDir, { mode: 0o755 });
  owned(confDir);

  const files = {
    configDir,
    configFile: join(configDir, 'postgresql.conf'),
    hbaFile: join(configDir, 'pg_hba.conf'),
    confDir,
  };
  const identFile = join(configDir, 'pg_ident.conf');
  renameSync(join(spec.dataDir, 'postgresql.conf'), files.configFile);
  renameSync(join(spec.dataDir, 'pg_hba.conf'), files.hbaFile);
  renameSync(join(spec.dataDir, 'pg_ident.conf'), identFile);
  // Debian's modes: the server configuration world-readable, the access rules group-readable.
  chmodSync(files.configFile, 0o644);
  chmodSync(files.hbaFile, 0o640);
  chmodSync(identFile, 0o640);
  appendFileSync(
    files.configFile,
    `\n# Debian layout (pg_createcluster)\n${formatPostgresSettings({
      data_directory: spec.dataDir,
      hba_file: files.hbaFile,
      ident_file: identFile,
      cluster_name: `${version}/${cluster}`,
      include_dir: 'conf.d',
    })}`,
  );
  const write = (path: string, text: string, mode: number): void => {
    writeFileSync(path, text, { mode });
    owned(path);
  };
  write(join(configDir, 'start.conf'), startConf, 0o644);
  write(join(configDir, 'pg_ctl.conf'), pgCtlConf, 0o644);
  write(join(configDir, 'environment'), environmentFile, 0o644);
  write(
    join(confDir, '00-sandbox.conf'),
    `# conf.d of the barkeep sandbox's Debian layout\nlog_line_prefix = '%m [%p] %q%u@%d '\n`,
    0o644,
  );
  return files;
}
