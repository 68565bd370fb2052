import { chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServerLayout, serverLayout } from '../catalog/server-layout.ts';
import type { ServerCheckReport } from '../check/check-result.ts';
import { runServerChecks } from '../check/run-server-checks.ts';
import { loadConfig } from '../config/load-config.ts';
import type { Logger } from '../logging/logger.ts';
import { lookupOsUser } from '../sandbox/os-user.ts';
import { startThrowawayCluster, type ThrowawayCluster } from '../sandbox/throwaway-cluster.ts';

/** How the demo tells what it does; the CLI prints it. */
export interface DemoNarrator {
  /** A new step begins. */
  step(title: string): void;
  /** A detail of the current step (a command, a file, a result line). */
  detail(line: string): void;
}

/** What the demo needs from its caller. */
export interface DemoOptions {
  readonly narrator: DemoNarrator;
  readonly logger: Logger;
  /** Aborted on Ctrl-C: the demo stops at the next step and tears everything down. */
  readonly signal: AbortSignal;
  /** PostgreSQL major to use; default: Debian's, else the newest embedded one. */
  readonly major?: number;
}

/** What the demo proved. */
export interface DemoOutcome {
  readonly checks: ServerCheckReport;
  readonly archivedSegments: number;
}

const SERVER = 'demo';

/**
 * The demo: a throwaway PostgreSQL cluster in a temporary directory, a barkeep configuration
 * for it, `check`, some writes whose WAL reaches `incoming/` through archive_command, and a
 * full teardown (also when interrupted). Later features extend it until it shows the whole
 * cycle: archive, stream, backup, point-in-time recovery, restart, row counts.
 */
export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const { narrator, signal } = options;
  const demoDir = await mkdtemp(join(tmpdir(), 'barkeep-demo-'));
  let cluster: ThrowawayCluster | undefined;
  try {
    narrator.step('Preparing a catalog for server "demo"');
    const home = join(demoDir, 'home');
    const layout = serverLayout(SERVER, { barman_home: home });
    await ensureServerLayout(layout);
    await shareWithPostgres(demoDir, [home, layout.backupDirectory, layout.incoming]);
    narrator.detail(`barman_home = ${home}`);
    signal.throwIfAborted();

    narrator.step('Starting a throwaway PostgreSQL cluster');
    cluster = await startThrowawayCluster({
      label: 'demo',
      ...(options.major !== undefined ? { major: options.major } : {}),
      settings: {
        wal_level: 'replica',
        archive_mode: 'on',
        archive_command: `test ! -f ${layout.incoming}/%f && cp %p ${layout.incoming}/%f`,
        archive_timeout: 0,
      },
    });
    narrator.detail(
      `PostgreSQL ${cluster.major} on ${cluster.host}:${cluster.port}, PGDATA ${cluster.dataDir} (pid ${cluster.pid}, user ${cluster.osUser})`,
    );
    narrator.detail(`archive_command copies completed segments into ${layout.incoming}`);
    signal.throwIfAborted();

    narrator.step('Writing the barkeep configuration');
    const configFile = join(demoDir, 'barkeep.conf');
    const configText = [
      '[barkeep]',
      `barman_home = ${home}`,
      '',
      `[${SERVER}]`,
      'description = Throwaway cluster of barkeep demo',
      `conninfo = ${cluster.conninfo()}`,
      `streaming_conninfo = ${cluster.conninfo()}`,
      'archiver = on',
      'streaming_archiver = on',
      '',
    ].join('\n');
    await writeFile(configFile, configText);
    for (const line of configText.trimEnd().split('\n')) narrator.detail(line);
    signal.throwIfAborted();

    narrator.step(`barkeep -c ${configFile} check ${SERVER}`);
    const config = await loadConfig({ explicitFile: configFile });
    const checks = await runServerChecks(config.servers.get(SERVER)!, { logger: options.logger });
    for (const result of checks.results) {
      narrator.detail(`${result.name}: ${result.ok ? 'OK' : `FAILED (${result.hint})`}`);
    }
    signal.throwIfAborted();

    narrator.step('Writing rows and switching WAL, so archive_command ships a segment');
    await cluster.query('CREATE TABLE demo_rows (id int PRIMARY KEY, note text)');
    await cluster.query(
      "INSERT INTO demo_rows SELECT g, 'row ' || g FROM generate_series(1, 1000) g",
    );
    await cluster.query('SELECT pg_switch_wal()');
    const archivedSegments = await waitForSegments(layout.incoming, signal);
    const [count] = await cluster.query<{ count: string }>('SELECT count(*) FROM demo_rows');
    narrator.detail(
      `demo_rows holds ${count?.count} rows; ${archivedSegments} WAL segment(s) arrived in incoming/`,
    );
    return { checks, archivedSegments };
  } finally {
    narrator.step('Tearing everything down');
    if (cluster) {
      await cluster.stop();
      narrator.detail(`stopped PostgreSQL (pid ${cluster.pid}) and removed ${cluster.baseDir}`);
    }
    await rm(demoDir, { recursive: true, force: true });
    narrator.detail(`removed ${demoDir}`);
  }
}

/**
 * As root the cluster runs as the `postgres` OS user, and its archive_command writes into
 * incoming/: hand those directories to that user, as a real setup would give incoming/ to the
 * user that ships WAL.
 */
async function shareWithPostgres(demoDir: string, directories: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const user = lookupOsUser('postgres');
  for (const directory of [demoDir, ...directories]) await chown(directory, user.uid, user.gid);
}

async function waitForSegments(incoming: string, signal: AbortSignal): Promise<number> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    const segments = (await readdir(incoming)).filter((name) => /^[0-9A-F]{24}$/.test(name));
    if (segments.length > 0) return segments.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return 0;
}
