// rsync backups over ssh, the seed's method: `barkeep backup` with backup_method = rsync against
// `barman backup` with backup_method = rsync (Debian's Barman, installed when missing and we are
// root), both pulling the same pgbench cluster through the same private sshd on loopback, both
// with reuse_backup = link. Each round: a first backup into a fresh catalog, a small change
// (1000 rows added to a small table, CHECKPOINT), a second backup that reuses the first.
// Usage: node bench/rsync-backup.mjs [--quick]   (SCALE and ROUNDS override 100 and 3; quick: 5, 1)
// Goals (issue 8): barkeep's first backup <= 0.7x Barman's; barkeep's second < 25% of its first.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';
import { loadSandbox, postgresAccount } from './bench-host.mjs';
import { median } from './stats.mjs';

const quick = process.argv.includes('--quick');
const scale = Number(process.env.SCALE ?? (quick ? 5 : 100));
const rounds = Number(process.env.ROUNDS ?? (quick ? 1 : 3));

const { startThrowawayCluster, installCliCopy, sandboxCleanup } = await loadSandbox();
const unregister = register();
const { startTestSshd, sshdUnavailableReason } = await import('../test/support/sshd.ts');
unregister();

const asRoot = process.getuid?.() === 0;
const postgres = postgresAccount();

/** Runs a program as the postgres OS user when we are root; fails loudly unless it exits 0. */
function runAsPostgres(program, args) {
  const result = spawnSync(program, args, {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', HOME: postgres?.home ?? process.env.HOME, LANG: 'C.UTF-8' },
    ...(postgres ? { uid: postgres.uid, gid: postgres.gid } : {}),
  });
  if (result.status !== 0)
    throw new Error(`${program} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result;
}

function timed(program, args) {
  const start = process.hrtime.bigint();
  runAsPostgres(program, args);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * The phases of the `skip`+1-th backup in a barkeep log_file (JSON lines with `time` and `msg`):
 * each message with the time until the next one.
 */
function phasesOf(logFile, skip = 0) {
  const lines = readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const starts = lines.flatMap((line, index) =>
    /^Starting backup /.test(line.msg) ? [index] : [],
  );
  const backup = lines.slice(starts[skip], starts[skip + 1]);
  return backup.slice(0, -1).map((line, index) => ({
    msg: String(line.msg).slice(0, 90),
    ms: Date.parse(backup[index + 1].time) - Date.parse(line.time),
  }));
}

function which(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
}

function ensureBarman() {
  if (which('barman')) return true;
  if (!asRoot || quick || process.env.BENCH_NO_INSTALL === '1') return false;
  console.error('rsync-backup bench: installing barman with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'barman'], {
    stdio: 'ignore',
    env,
  });
  return which('barman') !== '';
}

const missing = sshdUnavailableReason() ?? (which('rsync') ? undefined : 'rsync is not installed');
if (missing) {
  console.log(`### rsync backups\n\nskipped: ${missing}`);
  process.exit(0);
}
const barman = ensureBarman();
const scratch = mkdtempSync(join(tmpdir(), 'barkeep-bench-rsync-'));
if (postgres) chownSync(scratch, postgres.uid, postgres.gid);
const cleanup = { emergencyCleanup: () => rmSync(scratch, { recursive: true, force: true }) };
sandboxCleanup.add(cleanup);
let cluster;
let sshd;
try {
  mkdirSync(join(scratch, 'cli'));
  const cli = join(installCliCopy(join(scratch, 'cli')), '..', 'dist', 'barkeep.js');
  cluster = await startThrowawayCluster({
    label: 'bench-rsync',
    // Archiving on (Barman refuses to back up without it), into nowhere: WAL is not compared here.
    settings: {
      archive_mode: 'on',
      archive_command: '/bin/true',
      max_wal_size: '4GB',
      checkpoint_timeout: '1h',
    },
  });
  const conn = ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres'];
  spawnSync(
    join(cluster.binDir, 'pgbench'),
    ['-i', '-q', '-s', String(scale), ...conn, 'postgres'],
    {
      stdio: 'ignore',
    },
  );
  await cluster.query('VACUUM (FREEZE)');
  await cluster.query('CHECKPOINT');
  const [{ size }] = await cluster.query('SELECT pg_database_size(current_database()) AS size');
  sshd = await startTestSshd();
  const conninfo = `host=127.0.0.1 port=${cluster.port} user=postgres dbname=postgres`;

  const samples = { 'barkeep first': [], 'barkeep second (link)': [] };
  if (barman) Object.assign(samples, { 'barman first': [], 'barman second (link)': [] });
  const tools = barman ? ['barkeep', 'barman'] : ['barkeep'];
  const phases = {};
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? tools : [...tools].reverse();
    for (const tool of order) {
      const home = join(scratch, `${tool}-${round}`);
      mkdirSync(home);
      if (postgres) chownSync(home, postgres.uid, postgres.gid);
      const config = join(home, `${tool}.conf`);
      const global = tool === 'barkeep' ? '[barkeep]' : '[barman]';
      writeFileSync(
        config,
        [
          global,
          `barman_home = ${home}`,
          ...(tool === 'barman' ? [`barman_user = ${postgres?.name ?? process.env.USER}`] : []),
          `log_file = ${join(home, 'log')}`,
          '',
          '[bench]',
          `conninfo = ${conninfo}`,
          `ssh_command = ${sshd.sshCommand}`,
          'backup_method = rsync',
          'reuse_backup = link',
          'immediate_checkpoint = true',
          'archiver = on',
          ...(tool === 'barman' ? ['backup_options = concurrent_backup'] : []),
          '',
        ].join('\n'),
      );
      if (tool === 'barman') {
        // Barman refuses a first backup until some WAL was archived (its `WAL archive` check):
        // one index line satisfies it; the WAL itself is not part of this comparison.
        const wals = join(home, 'bench', 'wals');
        mkdirSync(wals, { recursive: true });
        writeFileSync(join(wals, 'xlog.db'), '000000010000000000000001\t16777216\t0\tNone\n');
        if (postgres) spawnSync('chown', ['-R', `${postgres.uid}:${postgres.gid}`, home]);
      }
      if (postgres) chownSync(config, postgres.uid, postgres.gid);
      const backup =
        tool === 'barkeep'
          ? () => timed('node', [cli, '-q', '-c', config, 'backup', 'bench'])
          : () => {
              try {
                return timed('barman', ['-q', '-c', config, 'backup', 'bench']);
              } catch (error) {
                const check = spawnSync('barman', ['-c', config, 'check', 'bench'], {
                  encoding: 'utf8',
                  ...(postgres ? { uid: postgres.uid, gid: postgres.gid } : {}),
                });
                throw new Error(`${error.message}\nbarman check says:\n${check.stdout}`);
              }
            };
      samples[`${tool} first`].push(backup());
      if (tool === 'barkeep' && round === 0) phases.first = phasesOf(join(home, 'log'));
      // A small change: rows added to a small table (a change inside pgbench_accounts would
      // touch one of its 1 GiB segment files, which any file-level reuse copies again).
      await cluster.query(
        'INSERT INTO pgbench_history SELECT 1, 1, aid, 1, now() FROM generate_series(1, 1000) aid',
      );
      await cluster.query('CHECKPOINT');
      // Let the changed files age past the reuse horizon of both tools (one second or so).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      samples[`${tool} second (link)`].push(backup());
      if (tool === 'barkeep' && round === 0) phases.second = phasesOf(join(home, 'log'), 1);
      rmSync(home, { recursive: true, force: true });
    }
  }

  const rows = Object.entries(samples);
  const reference = median(samples[barman ? 'barman first' : 'barkeep first']);
  console.log(
    `### rsync backups over ssh (pgbench scale ${scale}, ${(Number(size) / 2 ** 20).toFixed(0)} MiB database, ${rounds} round(s))\n`,
  );
  console.log(
    `| variant | median s | min-max s | runs | x ${barman ? 'barman first' : 'barkeep first'} |`,
  );
  console.log('|---|---|---|---|---|');
  for (const [name, values] of rows) {
    const m = median(values);
    console.log(
      `| ${name} | ${(m / 1000).toFixed(2)} | ${(Math.min(...values) / 1000).toFixed(2)}-${(Math.max(...values) / 1000).toFixed(2)} | ${values.length} | ${(m / reference).toFixed(2)} |`,
    );
  }
  for (const [which, list] of Object.entries(phases)) {
    console.log(`\nbarkeep's ${which} backup, round 1, by phase (from its log_file):\n`);
    for (const { ms, msg } of list) console.log(`- ${(ms / 1000).toFixed(2)} s  ${msg}`);
  }
  const first = median(samples['barkeep first']);
  const second = median(samples['barkeep second (link)']);
  console.log();
  if (barman) {
    const ratio = first / median(samples['barman first']);
    console.log(
      `Goal: barkeep first <= 0.7x barman first: ${ratio.toFixed(2)}x, ${ratio <= 0.7 ? 'MET' : 'MISSED'}`,
    );
  } else
    console.log(
      'barman is not installed: its rows are left out (the full run installs it as root)',
    );
  console.log(
    `Goal: barkeep second < 25% of its first: ${((second / first) * 100).toFixed(0)}%, ${second / first < 0.25 ? 'MET' : 'MISSED'}`,
  );
} finally {
  await sshd?.stop();
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
  sandboxCleanup.delete(cleanup);
}
