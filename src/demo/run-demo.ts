import type { ChildProcess } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServerLayout, serverLayout } from '../catalog/server-layout.ts';
import type { Logger } from '../logging/logger.ts';
import { findFreePort } from '../sandbox/free-port.ts';
import { installCliCopy } from '../sandbox/install-cli-copy.ts';
import { startThrowawayCluster, type ThrowawayCluster } from '../sandbox/throwaway-cluster.ts';
import { lookupOsUser, type OsUser } from '../storage/os-user.ts';
import { walBytesInPartial } from '../streaming/partial-extent.ts';
import { demoBackupAndPitr, demoLatestWithPartial } from './demo-recovery.ts';
import { runAs, startAs } from './run-as.ts';

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
  readonly checksPassed: boolean;
  readonly archivedSegments: number;
  readonly restoredIdentical: boolean;
  /** Both recoveries (to the restore point, to latest after a crash) counted the right rows. */
  readonly recoveriesProved: boolean;
}

const SERVER = 'demo';

/**
 * The demo: a throwaway PostgreSQL cluster whose archive_command is `barkeep put-wal`, a
 * barkeep configuration for it, WAL written, switched and archived (zstd), a segment fetched
 * back with get-wal and compared byte for byte, `check`, and a full teardown (also when
 * interrupted). barkeep runs as the cluster's OS user, from a copy that user can read. Later
 * features extend it until it shows the whole cycle: stream, backup, point-in-time recovery,
 * restart, row counts.
 */
export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const { narrator, signal } = options;
  const demoDir = await mkdtemp(join(tmpdir(), 'barkeep-demo-'));
  const user = process.getuid?.() === 0 ? lookupOsUser('postgres') : undefined;
  let cluster: ThrowawayCluster | undefined;
  let serve: ChildProcess | undefined;
  try {
    narrator.step('Preparing a catalog for server "demo" and a copy of barkeep PostgreSQL can run');
    const home = join(demoDir, 'home');
    const configFile = join(demoDir, 'barkeep.conf');
    const layout = serverLayout(SERVER, { barman_home: home });
    await ensureServerLayout(layout);
    await mkdir(join(demoDir, 'cli'));
    const barkeep = installCliCopy(join(demoDir, 'cli'));
    await giveTo(user, demoDir);
    narrator.detail(`barman_home = ${home}`);
    narrator.detail(`barkeep = ${barkeep}`);
    signal.throwIfAborted();

    narrator.step('Starting a throwaway PostgreSQL cluster that archives through barkeep put-wal');
    cluster = await startThrowawayCluster({
      label: 'demo',
      ...(options.major !== undefined ? { major: options.major } : {}),
      settings: {
        archive_mode: 'on',
        archive_command: `${barkeep} -c ${configFile} put-wal ${SERVER} %p`,
        wal_keep_size: '256MB',
      },
    });
    narrator.detail(
      `PostgreSQL ${cluster.major} on ${cluster.host}:${cluster.port}, PGDATA ${cluster.dataDir} (pid ${cluster.pid}, user ${cluster.osUser})`,
    );
    narrator.detail(`archive_command = '${barkeep} -c ${configFile} put-wal ${SERVER} %p'`);
    signal.throwIfAborted();

    narrator.step('Writing the barkeep configuration');
    const servePort = await findFreePort();
    const configText = [
      '[barkeep]',
      `barman_home = ${home}`,
      `serve_listen = 127.0.0.1:${servePort}`,
      '',
      `[${SERVER}]`,
      'description = Throwaway cluster of barkeep demo',
      `conninfo = ${cluster.conninfo()}`,
      `streaming_conninfo = ${cluster.conninfo()}`,
      'archiver = on',
      'streaming_archiver = on',
      'compression = zstd',
      'slot_name = barkeep',
      'create_slot = auto',
      '',
    ].join('\n');
    await writeFile(configFile, configText);
    await giveTo(user, configFile);
    for (const line of configText.trimEnd().split('\n')) narrator.detail(line);
    signal.throwIfAborted();

    const run = async (args: string[], binaryOutputTo?: string) => {
      narrator.detail(`$ barkeep ${args.join(' ')}${binaryOutputTo ? ` > ${binaryOutputTo}` : ''}`);
      const result = await runAs(barkeep, ['-c', configFile, ...args], user);
      const text = `${binaryOutputTo ? '' : result.stdout.toString('utf8')}${result.stderr}`;
      for (const line of text.trimEnd().split('\n')) {
        if (line !== '') narrator.detail(`  ${line}`);
      }
      return result;
    };

    narrator.step(
      'Starting barkeep serve in the background: it runs the native streaming receiver (slot "barkeep"), archives, checks, and serves metrics',
    );
    narrator.detail(`$ barkeep -c ${configFile} serve &`);
    serve = startAs(barkeep, ['-c', configFile, 'serve'], user);
    const serveUrl = `http://127.0.0.1:${servePort}/`;
    narrator.detail(
      `status page ${serveUrl}, metrics ${serveUrl}metrics, JSON ${serveUrl}api/status`,
    );
    const partial = await waitForPartial(layout.streaming, signal);
    narrator.detail(`streaming into ${partial.name}: ${partial.size} bytes of WAL`);
    signal.throwIfAborted();

    narrator.step('Writing rows in three batches: the .partial grows with every commit');
    await cluster.query('CREATE TABLE demo_rows (id int PRIMARY KEY, note text)');
    for (let batch = 0; batch < 3; batch++) {
      const from = batch * 10_000 + 1;
      const before = await waitForPartial(layout.streaming, signal);
      await cluster.query(
        `INSERT INTO demo_rows SELECT g, 'row ' || g FROM generate_series(${from}, ${from + 9_999}) g`,
      );
      const grown = await waitForGrowth(layout.streaming, before, signal);
      narrator.detail(
        `after ${from + 9_999} rows: ${grown.name} holds ${grown.size} bytes of WAL (zero-filled to full size, as pg_receivewal does)`,
      );
    }
    signal.throwIfAborted();

    narrator.step('Closing the WAL segment and waiting for it in the archive');
    await run(['switch-wal', '--archive', SERVER]);
    signal.throwIfAborted();

    narrator.step('What the archive holds (wals/, compressed with zstd, indexed in xlog.db)');
    const stored = await storedSegments(layout.wals);
    for (const { name, size } of stored) {
      const original = (await stat(join(cluster.dataDir, 'pg_wal', name)).catch(() => undefined))
        ?.size;
      narrator.detail(
        `${name}  ${size} bytes${original ? ` (${Math.round((100 * size) / original)}% of ${original})` : ''}`,
      );
    }
    signal.throwIfAborted();

    narrator.step(
      'Fetching a segment back as restore_command would, and comparing it byte for byte',
    );
    const sample = stored[stored.length - 1]?.name;
    let restoredIdentical = false;
    if (sample) {
      const fetched = await run(['get-wal', SERVER, sample], `restored/${sample}`);
      const original = await readFile(join(cluster.dataDir, 'pg_wal', sample));
      restoredIdentical = fetched.code === 0 && fetched.stdout.equals(original);
      narrator.detail(
        restoredIdentical
          ? `${sample}: identical to pg_wal/${sample}`
          : `${sample}: DIFFERENT from pg_wal/${sample}`,
      );
    }
    signal.throwIfAborted();

    const recoveryContext = { narrator, cluster, server: SERVER, demoDir, signal, run };
    const pitrProved = await demoBackupAndPitr(recoveryContext);
    signal.throwIfAborted();

    narrator.step(`barkeep check ${SERVER}`);
    const check = await run(['check', SERVER]);
    signal.throwIfAborted();

    narrator.step(`What barkeep serve reports: ${serveUrl}metrics (excerpt)`);
    await showMetrics(narrator, serveUrl);
    signal.throwIfAborted();

    const latestProved = await demoLatestWithPartial(recoveryContext);
    narrator.step('Stopping barkeep serve (SIGTERM): the receiver flushes and ends its stream');
    await stopServe(serve);
    serve = undefined;
    return {
      checksPassed: check.code === 0,
      archivedSegments: stored.length,
      restoredIdentical,
      recoveriesProved: pitrProved && latestProved,
    };
  } finally {
    narrator.step('Tearing everything down');
    await stopServe(serve);
    if (cluster) {
      await cluster.stop();
      narrator.detail(`stopped PostgreSQL (pid ${cluster.pid}) and removed ${cluster.baseDir}`);
    }
    await rm(demoDir, { recursive: true, force: true });
    narrator.detail(`removed ${demoDir}`);
  }
}

/** As root, hand the demo's files to the cluster's OS user, who runs archive_command. */
async function giveTo(user: OsUser | undefined, path: string): Promise<void> {
  if (!user) return;
  await chown(path, user.uid, user.gid);
  const info = await stat(path);
  if (!info.isDirectory()) return;
  for (const name of await readdir(path)) await giveTo(user, join(path, name));
}

async function storedSegments(wals: string): Promise<{ name: string; size: number }[]> {
  const found: { name: string; size: number }[] = [];
  for (const directory of (await readdir(wals))
    .filter((name) => /^[0-9A-F]{16}$/.test(name))
    .sort()) {
    for (const name of (await readdir(join(wals, directory))).sort()) {
      if (/^[0-9A-F]{24}$/.test(name))
        found.push({ name, size: (await stat(join(wals, directory, name))).size });
    }
  }
  return found;
}

async function waitForPartial(
  streaming: string,
  signal: AbortSignal,
): Promise<{ name: string; size: number }> {
  for (let i = 0; i < 300; i++) {
    signal.throwIfAborted();
    const name = (await readdir(streaming))
      .filter((file) => file.endsWith('.partial'))
      .sort()
      .pop();
    if (name) return { name, size: await walBytesInPartial(join(streaming, name)) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no .partial appeared in ${streaming}`);
}

async function waitForGrowth(
  streaming: string,
  before: { name: string; size: number },
  signal: AbortSignal,
): Promise<{ name: string; size: number }> {
  for (let i = 0; i < 100; i++) {
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await waitForPartial(streaming, signal);
    if (now.name !== before.name || now.size !== before.size) return now;
  }
  return before;
}

/** A few lines of serve's /metrics: what a Prometheus server would scrape. */
async function showMetrics(narrator: DemoNarrator, url: string): Promise<void> {
  const wanted =
    /^barkeep_(last_backup_age_seconds|wal_archived_files|receiver_state\{[^}]*state="running"|check_ok\{[^}]*check="PostgreSQL")/;
  try {
    const text = await (await fetch(`${url}metrics`)).text();
    for (const line of text.split('\n').filter((l) => wanted.test(l))) narrator.detail(line);
  } catch (error) {
    narrator.detail(`serve did not answer: ${(error as Error).message}`);
  }
}

/** SIGTERM to serve, then its exit (SIGKILL after 30 s). */
async function stopServe(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}
