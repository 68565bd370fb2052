import { appendFileSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import type { OsUser } from '../storage/os-user.ts';
import {
  type DebianLayoutOptions,
  debianClusterNames,
  moveConfigToDebianLayout,
} from './debian-layout.ts';
import { formatPostgresSettings, type SettingValue } from './postgres-settings.ts';
import { runInitdb } from './run-initdb.ts';

/** The kernel's limit for a unix socket path (sun_path is 108 bytes with the final NUL). */
const maxSocketPath = 107;

/** Where a throwaway cluster's files are. */
export interface ClusterLayout {
  /** The sandbox directory holding everything below; removing it removes the cluster. */
  readonly baseDir: string;
  /** PGDATA (`<baseDir>/data`). */
  readonly dataDir: string;
  /** Private unix socket directory (`<baseDir>/socket`), so parallel clusters never collide. */
  readonly socketDir: string;
  /** initdb's output and the server's stderr (`<baseDir>/postgres.log`). */
  readonly logFile: string;
  /** postgresql.conf: in PGDATA, or in `configDir` with the Debian layout. */
  readonly configFile: string;
  /** With the Debian layout: `<baseDir>/etc/postgresql/<ver>/<cluster>`; else undefined. */
  readonly configDir: string | undefined;
}

/** What `createClusterFiles` needs. */
export interface ClusterFilesSpec {
  /** An empty sandbox directory (see `createSandboxDirectory`). */
  readonly baseDir: string;
  /** Directory holding `initdb`. */
  readonly binDir: string;
  /** Account PostgreSQL runs as when we are root; undefined runs as ourselves. */
  readonly osUser: OsUser | undefined;
  /** The TCP port written into postgresql.conf. */
  readonly port: number;
  /** Settings that override the sandbox defaults. */
  readonly settings: Readonly<Record<string, SettingValue>>;
  /** Lines put at the top of pg_hba.conf, so they win over the default trust rules. */
  readonly hbaLines: readonly string[];
  /** Extra initdb arguments. */
  readonly initdbArgs: readonly string[];
  /** The PostgreSQL major (the default Debian version directory). */
  readonly major: number;
  /** Lay the configuration out as Debian's pg_createcluster does (`moveConfigToDebianLayout`). */
  readonly debianLayout: DebianLayoutOptions | undefined;
}

/**
 * Builds a throwaway cluster's files inside its sandbox directory: socket dir and log file owned
 * by the server's account, a fresh data dir from initdb, the settings appended to
 * postgresql.conf and the extra hba lines prepended to pg_hba.conf (initdb's `-A trust` rules,
 * local and 127.0.0.1 including replication, stay below them).
 *
 * Defaults favour speed over durability (`fsync = off`: a throwaway cluster never has to survive
 * a power cut, and `crash()` only kills processes, which loses nothing the OS already has) and
 * make every cluster ready for barkeep: `wal_level = replica` and 10 WAL senders. With
 * `debianLayout` the configuration files move out of PGDATA first, and the settings and hba
 * lines go to the moved files.
 */
export async function createClusterFiles(spec: ClusterFilesSpec): Promise<ClusterLayout> {
  const dataDir = join(spec.baseDir, 'data');
  const layout = {
    baseDir: spec.baseDir,
    dataDir,
    socketDir: join(spec.baseDir, 'socket'),
    logFile: join(spec.baseDir, 'postgres.log'),
  };
  if (Buffer.byteLength(join(layout.socketDir, '.s.PGSQL.65535.lock')) > maxSocketPath) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot create a throwaway cluster',
      subject: layout.socketDir,
      why: `the unix socket path would exceed ${maxSocketPath} bytes`,
      hint: 'Set TMPDIR to a shorter directory, e.g. /tmp.',
    });
  }
  if (spec.debianLayout !== undefined) debianClusterNames(spec.debianLayout, spec.major);
  mkdirSync(layout.socketDir, { mode: 0o755 });
  writeFileSync(layout.logFile, '', { mode: 0o644 });
  if (spec.osUser !== undefined) {
    chownSync(layout.socketDir, spec.osUser.uid, spec.osUser.gid);
    chownSync(layout.logFile, spec.osUser.uid, spec.osUser.gid);
  }
  await runInitdb({
    binDir: spec.binDir,
    dataDir: layout.dataDir,
    logFile: layout.logFile,
    extraArgs: spec.initdbArgs,
    osUser: spec.osUser,
  });
  const debian =
    spec.debianLayout === undefined
      ? undefined
      : moveConfigToDebianLayout({
          baseDir: spec.baseDir,
          dataDir,
          major: spec.major,
          osUser: spec.osUser,
          options: spec.debianLayout,
        });
  const configFile = debian?.configFile ?? join(dataDir, 'postgresql.conf');
  const settings: Record<string, SettingValue> = {
    listen_addresses: '127.0.0.1',
    port: spec.port,
    unix_socket_directories: layout.socketDir,
    fsync: false,
    wal_level: 'replica',
    max_wal_senders: 10,
    shared_buffers: '32MB',
    max_connections: 30,
    logging_collector: false,
    log_destination: 'stderr',
    ...spec.settings,
  };
  appendFileSync(configFile, `\n# barkeep sandbox settings\n${formatPostgresSettings(settings)}`);
  if (spec.hbaLines.length > 0) {
    const hbaFile = debian?.hbaFile ?? join(dataDir, 'pg_hba.conf');
    const current = readFileSync(hbaFile, 'utf8');
    writeFileSync(hbaFile, `# barkeep sandbox rules\n${spec.hbaLines.join('\n')}\n\n${current}`);
  }
  return { ...layout, configFile, configDir: debian?.configDir };
}
