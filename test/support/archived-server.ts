// A real cluster whose archive_command hands WAL to barkeep, with a barkeep configuration for
// it: the starting point of every archive, backup and recovery scenario.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerLayout, serverLayout } from '../../src/catalog/server-layout.ts';
import { installCliForOsUser, runBarkeep } from './cli.ts';
import {
  startThrowawayCluster,
  type ThrowawayCluster,
  type ThrowawayClusterOptions,
} from './cluster.ts';

/** What `startArchivedServer` sets up. */
export interface ArchivedServer {
  readonly name: string;
  readonly dir: string;
  readonly home: string;
  readonly configFile: string;
  readonly layout: ServerLayout;
  readonly cluster: ThrowawayCluster;
  /** Rewrites the server section (the conninfo and archiver lines are always there). */
  writeConfig(extraLines?: string[]): void;
  /** Runs the built CLI with `-c configFile` first, as the postgres OS user when we are root. */
  barkeep(
    args: string[],
    options?: Parameters<typeof runBarkeep>[1],
  ): ReturnType<typeof runBarkeep>;
  stop(): Promise<void>;
}

/** Options: how PostgreSQL ships WAL (`put-wal`, or `incoming` for the seed's cp/rsync path). */
export interface ArchivedServerOptions extends ThrowawayClusterOptions {
  readonly shipping?: 'put-wal' | 'incoming';
  readonly serverLines?: string[];
}

/**
 * Starts a cluster with archive_mode on and archive_command set to `barkeep put-wal` (the
 * installed copy, runnable by the postgres OS user) or to a cp into incoming/. The directory
 * holding the configuration and the catalog belongs to the postgres user when we are root, as
 * it would on a host where barkeep runs as that user.
 */
export async function startArchivedServer(
  options: ArchivedServerOptions = {},
): Promise<ArchivedServer> {
  const name = 'pg';
  const dir = mkdtempSync(join(tmpdir(), 'barkeep-test-archive-'));
  const home = join(dir, 'home');
  const configFile = join(dir, 'barkeep.conf');
  const layout = serverLayout(name, { barman_home: home });
  const launcher = installCliForOsUser();
  const command =
    options.shipping === 'incoming'
      ? `test ! -f ${layout.incoming}/%f && cp %p ${layout.incoming}/%f`
      : `${launcher} -c ${configFile} put-wal ${name} %p`;
  const cluster = await startThrowawayCluster({
    ...options,
    settings: {
      archive_mode: 'on',
      archive_command: command,
      wal_keep_size: '1GB',
      ...options.settings,
    },
  });
  const writeConfig = (extraLines: string[] = options.serverLines ?? []) => {
    writeFileSync(
      configFile,
      [
        '[barkeep]',
        `barman_home = ${home}`,
        '',
        `[${name}]`,
        `conninfo = ${cluster.conninfo()}`,
        `streaming_conninfo = ${cluster.conninfo()}`,
        'archiver = on',
        ...extraLines,
        '',
      ].join('\n'),
    );
    shareWithPostgres(dir);
  };
  writeConfig();
  execFileSync('mkdir', ['-p', layout.incoming]);
  shareWithPostgres(dir);
  return {
    name,
    dir,
    home,
    configFile,
    layout,
    cluster,
    writeConfig,
    barkeep: (args, runOptions) =>
      runBarkeep(['-c', configFile, ...args], {
        ...(process.getuid?.() === 0 ? { asOsUser: 'postgres' } : {}),
        ...runOptions,
      }),
    stop: async () => {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * As root, give the directory to the postgres OS user (who runs archive_command). A file that
 * vanishes under chown (a lock file of a put-wal running meanwhile) is not an error.
 */
export function shareWithPostgres(path: string): void {
  if (process.getuid?.() !== 0) return;
  try {
    execFileSync('chown', ['-R', 'postgres:postgres', path], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    const lines = stderr.split('\n').filter((line) => line.trim() !== '');
    if (lines.length === 0 || !lines.every((line) => line.endsWith('No such file or directory')))
      throw error;
  }
}
