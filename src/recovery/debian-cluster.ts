import { execFile } from 'node:child_process';
import {
  access,
  chmod,
  lchown,
  mkdir,
  readdir,
  readFile,
  rename,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BackupInfo } from '../catalog/backup-info.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { FileOwner } from './copy-tree.ts';
import { appendSettings, commentOutSettings, quoteConfValue } from './postgresql-conf-edit.ts';

const run = promisify(execFile);

/** `--debian-cluster VER/NAME [--port N] [--start]`: the cluster postgresql-common will know. */
export interface DebianCluster {
  readonly version: string;
  readonly name: string;
  readonly start: boolean;
  /** `/etc/postgresql/VER/NAME`. */
  readonly configDirectory: string;
  /** Settings the restored postgresql.conf gets for this cluster (port, names, pid file). */
  readonly settings: Readonly<Record<string, string>>;
}

/** Parses `VER/NAME` and builds the cluster's settings (root of /etc/postgresql overridable for tests). */
export function debianCluster(
  spec: string,
  options: { port?: number | undefined; start?: boolean; etcRoot?: string },
): DebianCluster {
  const match = /^(\d+(?:\.\d+)?)\/([A-Za-z0-9_.-]+)$/.exec(spec);
  if (!match)
    throw new BarkeepError('usage', {
      what: 'invalid --debian-cluster',
      subject: spec,
      why: "write it as VERSION/NAME, e.g. '15/main'",
    });
  const [, version, name] = match as unknown as [string, string, string];
  const settings: Record<string, string> = {
    cluster_name: quoteConfValue(`${version}/${name}`),
    external_pid_file: quoteConfValue(`/var/run/postgresql/${version}-${name}.pid`),
    ...(options.port !== undefined ? { port: String(options.port) } : {}),
    ...(Number(version) < 15
      ? {
          stats_temp_directory: quoteConfValue(
            `/var/run/postgresql/${version}-${name}.pg_stat_tmp`,
          ),
        }
      : {}),
  };
  return {
    version,
    name,
    start: options.start ?? false,
    configDirectory: join(options.etcRoot ?? '/etc/postgresql', version, name),
    settings,
  };
}

/** Refuses (before anything is copied) when the cluster's configuration directory exists or postgresql-common is missing. */
export async function prepareDebianCluster(cluster: DebianCluster): Promise<void> {
  try {
    await access(cluster.configDirectory);
    throw new BarkeepError('operationFailed', {
      what: 'refused to recover',
      subject: cluster.configDirectory,
      why: `Debian cluster ${cluster.version}/${cluster.name} already exists`,
      hint: `Choose another name, or remove it first with pg_dropcluster ${cluster.version} ${cluster.name}.`,
    });
  } catch (error) {
    if (error instanceof BarkeepError) throw error;
    if (errnoCode(error) !== 'ENOENT')
      throw ioError('cannot inspect Debian cluster directory', cluster.configDirectory, error);
  }
  try {
    await access('/usr/bin/pg_ctlcluster');
  } catch {
    throw new BarkeepError('operationFailed', {
      what: 'refused to recover',
      subject: '/usr/bin/pg_ctlcluster',
      why: 'postgresql-common is not installed',
      hint: 'Install postgresql-common, or recover without --debian-cluster.',
    });
  }
}

/**
 * Completes the adoption by postgresql-common once the data is in DEST: the configuration
 * directory holds the backed-up configuration (restored there already when the backup kept it
 * outside PGDATA; otherwise moved out of DEST, as pg_createcluster lays a cluster out), with
 * start.conf, pg_ctl.conf and environment; everything owned by postgres; and, with --start,
 * `pg_ctlcluster VER NAME start`. Returns the command that starts the cluster.
 */
export async function adoptDebianCluster(
  cluster: DebianCluster,
  destination: string,
  info: BackupInfo,
  configRestored: boolean,
  owner: FileOwner | undefined,
): Promise<string> {
  const directory = cluster.configDirectory;
  await mkdir(directory, { recursive: true, mode: 0o755 });
  if (!configRestored) {
    for (const file of ['postgresql.conf', 'pg_hba.conf', 'pg_ident.conf']) {
      await rename(join(destination, file), join(directory, file)).catch((error: unknown) => {
        if (errnoCode(error) !== 'ENOENT')
          throw ioError('cannot move configuration file', join(destination, file), error);
      });
    }
    const path = join(directory, 'postgresql.conf');
    let text = await readFile(path, 'utf8');
    text = commentOutSettings(
      text,
      ['data_directory', 'hba_file', 'ident_file', 'external_pid_file', 'stats_temp_directory'],
      'barkeep recover: path of the original cluster',
    );
    text = appendSettings(
      text,
      `Added by barkeep recover of backup ${info.backup_id}: Debian cluster ${cluster.version}/${cluster.name}`,
      {
        data_directory: quoteConfValue(destination),
        hba_file: quoteConfValue(join(directory, 'pg_hba.conf')),
        ident_file: quoteConfValue(join(directory, 'pg_ident.conf')),
        ...cluster.settings,
      },
    );
    await writeFile(path, text);
  }
  const defaults: Record<string, string> = {
    'start.conf': 'auto\n',
    'pg_ctl.conf': "pg_ctl_options = ''\n",
    environment: '',
  };
  const present = new Set(await readdir(directory));
  for (const [file, content] of Object.entries(defaults)) {
    if (!present.has(file)) await writeFile(join(directory, file), content, { mode: 0o644 });
  }
  if (owner) await chownTree(directory, owner);
  await chmod(directory, 0o755);
  const startCommand = `pg_ctlcluster ${cluster.version} ${cluster.name} start`;
  if (cluster.start) {
    try {
      await run('pg_ctlcluster', [cluster.version, cluster.name, 'start'], { timeout: 120_000 });
    } catch (error) {
      const output = error as { stderr?: string; message?: string };
      throw new BarkeepError('operationFailed', {
        what: 'cannot start the recovered cluster',
        subject: `${cluster.version}/${cluster.name}`,
        why:
          (output.stderr || output.message || 'pg_ctlcluster failed')
            .trim()
            .split('\n')
            .slice(-1)[0] ?? 'pg_ctlcluster failed',
        hint: `See /var/log/postgresql/postgresql-${cluster.version}-${cluster.name}.log; the data and configuration are in place.`,
      });
    }
  }
  return startCommand;
}

async function chownTree(path: string, owner: FileOwner): Promise<void> {
  await lchown(path, owner.uid, owner.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isDirectory()) await chownTree(join(path, entry.name), owner);
    else await lchown(join(path, entry.name), owner.uid, owner.gid);
  }
}
