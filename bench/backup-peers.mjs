// What bench/backup.mjs and bench/recover.mjs share: one throwaway pgbench cluster whose
// archive_command feeds all three catalogs (barkeep put-wal, pgBackRest archive-push, a copy into
// Barman's incoming directory), barkeep's configuration, a pgBackRest stanza and a Barman server
// (each peer only when it is installed, or installable: see `ensurePeer`), and the timed call
// under GNU time with its table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accountEnv, runAs } from './bench-host.mjs';
import { median } from './stats.mjs';

export const SERVER = 'bench';

export function which(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
}

/**
 * The path of a peer's program, installed with apt-get when it is missing, we are root, and this
 * is a full run (not `--quick`, not BENCH_NO_INSTALL=1); '' when it is not there.
 */
export function ensurePeer(program, debianPackage, { quick, label }) {
  const found = which(program);
  if (found) return found;
  if (process.getuid?.() !== 0 || quick || process.env.BENCH_NO_INSTALL === '1') return '';
  console.error(`${label}: installing ${debianPackage} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', debianPackage], {
      stdio: 'ignore',
      env,
    }).status;
  if (install() !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
    install();
  }
  return which(program);
}

/** Runs a program (as `account` when given) and fails loudly unless it exits 0. */
export function runChecked(program, args, account, options = {}) {
  const result = spawnSync(program, args, {
    encoding: 'utf8',
    env: accountEnv(account),
    ...runAs(account),
    ...options,
  });
  if (result.status !== 0)
    throw new Error(
      `${program} ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr ?? ''}${result.stdout ?? ''}`,
    );
  return result;
}

/** Gives a path (recursively) to `account` when given. */
export function giveTo(account, path) {
  if (account) spawnSync('chown', ['-R', `${account.uid}:${account.gid}`, path]);
}

/**
 * Runs one timed command as `account` under GNU time: wall ms (hrtime around the call) and peak
 * RSS MiB (`%M`: the largest single process of the tree). Throws unless it exits 0.
 */
export function measure(program, args, scratch, account) {
  const rssFile = join(scratch, 'rss');
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, program, ...args], {
    encoding: 'utf8',
    env: accountEnv(account),
    ...runAs(account),
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`${program} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const rss = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024;
  return { ms, rss };
}

/**
 * Prints a markdown table of { name: [{ ms, rss }] } in seconds, with the ratio of each median
 * to the reference row's; `notes` are printed below it (rows left out and why).
 */
export function printSecondsTable(title, samples, reference, notes = []) {
  const ref = median(samples[reference].map((s) => s.ms));
  const lines = [
    `### ${title}`,
    '',
    `| variant | median s | min-max s | runs | peak RSS MiB | x ${reference} |`,
    '|---|---|---|---|---|---|',
  ];
  for (const [name, list] of Object.entries(samples)) {
    if (list.length === 0) continue;
    const walls = list.map((s) => s.ms);
    const m = median(walls);
    lines.push(
      `| ${name} | ${(m / 1000).toFixed(2)} | ${(Math.min(...walls) / 1000).toFixed(2)}-${(Math.max(...walls) / 1000).toFixed(2)} | ${list.length} | ${Math.max(...list.map((s) => s.rss)).toFixed(0)} | ${(m / ref).toFixed(2)} |`,
    );
  }
  if (notes.length) lines.push('', ...notes);
  console.log(`${lines.join('\n')}\n`);
}

/** Runs the variants `rounds` times, the order rotated by one each round. */
export async function rotate(variants, rounds, after = () => {}) {
  const names = Object.keys(variants);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      samples[name].push(await variants[name]());
      await after(name, round);
      // Lets SIGINT/SIGTERM reach the sandbox's cleanup handlers between two calls.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return samples;
}

/**
 * Starts the cluster of a backup benchmark and prepares every tool against it. Returns the
 * cluster, the tools found, and what the variants need (configurations, connection arguments).
 */
export async function startBackupCluster({
  label,
  scale,
  quick,
  scratch,
  postgres,
  startThrowawayCluster,
  installCliCopy,
}) {
  const pgbackrest = ensurePeer('pgbackrest', 'pgbackrest', { quick, label });
  const barman = ensurePeer('barman', 'barman', { quick, label });
  mkdirSync(join(scratch, 'cli'));
  const cli = join(installCliCopy(join(scratch, 'cli')), '..', 'dist', 'barkeep.js');
  const barkeep = { home: join(scratch, 'barkeep'), config: join(scratch, 'barkeep.conf') };
  const pgbr = {
    config: join(scratch, 'pgbackrest.conf'),
    repo: join(scratch, 'pgbackrest-repo'),
  };
  const barmanSetup = { home: join(scratch, 'barman'), config: join(scratch, 'barman.conf') };
  for (const dir of [barkeep.home, pgbr.repo, join(scratch, 'pgbackrest-log'), barmanSetup.home])
    mkdirSync(dir, { recursive: true });
  if (barman) mkdirSync(join(barmanSetup.home, SERVER, 'incoming'), { recursive: true });
  giveTo(postgres, scratch);

  // One archive_command for all: each tool waits for the last segment of its backup in its own
  // archive, so each needs it archived its way. The cheap copies go first.
  const archive = [
    ...(barman ? [`cp %p ${join(barmanSetup.home, SERVER, 'incoming')}/%f`] : []),
    ...(pgbackrest
      ? [`${pgbackrest} --config=${pgbr.config} --stanza=${SERVER} archive-push %p`]
      : []),
    `${process.execPath} ${cli} -c ${barkeep.config} put-wal ${SERVER} %p`,
  ].join(' && ');
  const cluster = await startThrowawayCluster({
    label,
    settings: {
      archive_mode: 'on',
      archive_command: archive,
      max_wal_size: '4GB',
      checkpoint_timeout: '1h',
      max_wal_senders: 6,
    },
  });
  const conn = ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres'];
  const conninfo = `host=127.0.0.1 port=${cluster.port} user=postgres dbname=postgres`;

  barkeep.write = (lines = []) => {
    writeFileSync(
      barkeep.config,
      [
        '[barkeep]',
        `barman_home = ${barkeep.home}`,
        '',
        `[${SERVER}]`,
        `conninfo = ${conninfo}`,
        'archiver = on',
        'immediate_checkpoint = true',
        ...lines,
        '',
      ].join('\n'),
    );
    giveTo(postgres, barkeep.config);
  };
  barkeep.write();
  if (pgbackrest) {
    writeFileSync(
      pgbr.config,
      [
        '[global]',
        `repo1-path=${pgbr.repo}`,
        // No expiry inside the timed backups: the benchmark expires them between runs.
        'repo1-retention-full=9999',
        `log-path=${join(scratch, 'pgbackrest-log')}`,
        `lock-path=${join(scratch, 'pgbackrest-log')}`,
        'log-level-console=warn',
        'start-fast=y',
        // archive-push compresses with zst level 1 (its default, gz level 6, would make the
        // archiver lag behind pgbench -i); the backups name their compression themselves.
        'compress-type=zst',
        'compress-level=1',
        '',
        `[${SERVER}]`,
        `pg1-path=${cluster.dataDir}`,
        `pg1-port=${cluster.port}`,
        `pg1-socket-path=${cluster.socketDir}`,
        '',
      ].join('\n'),
    );
    giveTo(postgres, pgbr.config);
  }
  barmanSetup.write = (lines = []) => {
    writeFileSync(
      barmanSetup.config,
      [
        '[barman]',
        `barman_home = ${barmanSetup.home}`,
        `barman_user = ${postgres?.name ?? process.env.USER}`,
        `log_file = ${join(barmanSetup.home, 'barman.log')}`,
        'log_level = WARNING',
        '',
        `[${SERVER}]`,
        `conninfo = ${conninfo}`,
        `streaming_conninfo = ${conninfo}`,
        'backup_method = postgres',
        'archiver = on',
        'immediate_checkpoint = true',
        `path_prefix = ${cluster.binDir}`,
        ...lines,
        '',
      ].join('\n'),
    );
    giveTo(postgres, barmanSetup.config);
  };
  if (barman) barmanSetup.write();

  if (pgbackrest)
    runChecked(
      pgbackrest,
      [`--config=${pgbr.config}`, `--stanza=${SERVER}`, 'stanza-create'],
      postgres,
    );
  // barkeep's identity.json and catalog directories, as after a first `barkeep check`.
  spawnSync(process.execPath, [cli, '-q', '-c', barkeep.config, 'check', SERVER], {
    env: accountEnv(postgres),
    ...runAs(postgres),
  });
  // pgbench -i once the archive_command works (no failures: the archiver would pause 60 s).
  runChecked(join(cluster.binDir, 'pgbench'), [
    '-i',
    '-q',
    '-s',
    String(scale),
    ...conn,
    'postgres',
  ]);
  await cluster.query('CHECKPOINT');
  await archiverCaughtUp(cluster);
  const [{ size }] = await cluster.query('SELECT pg_database_size(current_database()) AS size');
  if (barman) {
    // Barman refuses a first backup until its WAL archive holds a segment.
    runChecked(
      'barman',
      ['-q', '-c', barmanSetup.config, 'switch-wal', '--force', '--archive', SERVER],
      postgres,
    );
  }
  return {
    cluster,
    cli,
    conn,
    sizeMiB: Number(size) / 2 ** 20,
    barkeep,
    pgbackrest: pgbackrest ? { ...pgbr, program: pgbackrest } : undefined,
    barman: barman ? { ...barmanSetup, program: barman } : undefined,
  };
}

/**
 * Waits until the archiver has archived everything up to a fresh segment switch: pgbench -i
 * writes about as much WAL as data, and each timed backup must not wait behind that backlog.
 */
async function archiverCaughtUp(cluster) {
  const [{ name }] = await cluster.query('SELECT pg_walfile_name(pg_switch_wal()) AS name');
  for (let waited = 0; ; waited++) {
    const [row] = await cluster.query(
      'SELECT last_archived_wal AS last, failed_count AS failed, last_failed_wal AS bad FROM pg_stat_archiver',
    );
    if (row.last && row.last >= name) return;
    if (waited > 1200)
      throw new Error(`the archiver did not catch up in 10 min (failed ${row.failed}: ${row.bad})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The backup IDs (directory names) of a Barman or barkeep catalog, oldest first. */
export function backupIds(home) {
  const base = join(home, SERVER, 'base');
  return existsSync(base) ? readdirSync(base).sort() : [];
}

/** The versions line of the tools in the tables. */
export function versionsLine(setup, postgres) {
  const version = (program, args) =>
    spawnSync(program, args, { encoding: 'utf8', env: accountEnv(postgres), ...runAs(postgres) })
      .stdout.trim()
      .split('\n')[0];
  return [
    version(join(setup.cluster.binDir, 'postgres'), ['--version']),
    version(process.execPath, [setup.cli, '--version']),
    setup.pgbackrest ? version(setup.pgbackrest.program, ['version']) : 'pgBackRest: not installed',
    setup.barman
      ? `Barman ${version('barman', ['--version']).split(' ')[0]}`
      : 'Barman: not installed',
  ].join('; ');
}
