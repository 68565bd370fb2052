// Full base backups and recoveries of one pgbench cluster, side by side in one run:
// - backup: `barkeep backup` plain and zstd against `pg_basebackup -Fp` (reference of the plain
//   rows) and `pg_basebackup -Ft --compress=server-zstd:level=1,workers=2` (reference of zstd);
// - recover: `barkeep recover` of a plain backup (no target: every WAL file there is) against
//   `cp -a` of the same backup's data directory (the floor).
// Usage: node bench/backup.mjs [--quick]   (SCALE and ROUNDS override 100 and 3; quick: 5, 1)
// Every command runs as the postgres OS user when we are root, into a fresh destination that is
// removed after the run (outside the timed call); the order of the variants rotates per round.
// Wall time by hrtime around the call, peak RSS by GNU time (`/usr/bin/time -f %M`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSandbox, postgresAccount } from './bench-host.mjs';
import { median } from './stats.mjs';

const quick = process.argv.includes('--quick');
const scale = Number(process.env.SCALE ?? (quick ? 5 : 100));
const rounds = Number(process.env.ROUNDS ?? (quick ? 1 : 3));

const { startThrowawayCluster, installCliCopy, sandboxCleanup } = await loadSandbox();

const postgres = postgresAccount();

function giveToPostgres(path) {
  if (postgres) spawnSync('chown', ['-R', `${postgres.uid}:${postgres.gid}`, path]);
}

/** Runs a command as postgres under GNU time; returns wall ms and peak RSS MiB. */
function measure(program, args, scratch) {
  const rssFile = join(scratch, 'rss');
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, program, ...args], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', HOME: postgres?.home ?? process.env.HOME, LANG: 'C.UTF-8' },
    ...(postgres ? { uid: postgres.uid, gid: postgres.gid } : {}),
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`${program} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const rss = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024;
  return { ms, rss };
}

function printTable(title, samples, reference) {
  const ref = median(samples[reference].map((s) => s.ms));
  console.log(`### ${title}\n`);
  console.log(`| variant | median s | min-max s | runs | peak RSS MiB | x ${reference} |`);
  console.log('|---|---|---|---|---|---|');
  for (const [name, list] of Object.entries(samples)) {
    const walls = list.map((s) => s.ms);
    const m = median(walls);
    console.log(
      `| ${name} | ${(m / 1000).toFixed(2)} | ${(Math.min(...walls) / 1000).toFixed(2)}-${(Math.max(...walls) / 1000).toFixed(2)} | ${list.length} | ${Math.max(...list.map((s) => s.rss)).toFixed(0)} | ${(m / ref).toFixed(2)} |`,
    );
  }
  console.log();
}

if (!existsSync('/usr/bin/time'))
  throw new Error('GNU time (/usr/bin/time) is needed: apt-get install time');
const scratch = mkdtempSync(join(tmpdir(), 'barkeep-bench-backup-'));
giveToPostgres(scratch);
const cleanup = { emergencyCleanup: () => rmSync(scratch, { recursive: true, force: true }) };
sandboxCleanup.add(cleanup);
let cluster;
try {
  mkdirSync(join(scratch, 'cli'));
  const cli = join(installCliCopy(join(scratch, 'cli')), '..', 'dist', 'barkeep.js');
  const home = join(scratch, 'home');
  const config = join(scratch, 'barkeep.conf');
  cluster = await startThrowawayCluster({
    label: 'bench-backup',
    settings: {
      archive_mode: 'on',
      archive_command: `node ${cli} -c ${config} put-wal bench %p`,
      max_wal_size: '4GB',
      checkpoint_timeout: '1h',
    },
  });
  const writeConfig = (lines) => {
    writeFileSync(
      config,
      [
        '[barkeep]',
        `barman_home = ${home}`,
        '',
        '[bench]',
        `conninfo = host=127.0.0.1 port=${cluster.port} user=postgres dbname=postgres`,
        'archiver = on',
        'immediate_checkpoint = true',
        ...lines,
        '',
      ].join('\n'),
    );
    giveToPostgres(config);
  };
  writeConfig([]);
  const bin = cluster.binDir;
  const conn = ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres'];
  spawnSync(join(bin, 'pgbench'), ['-i', '-q', '-s', String(scale), ...conn, 'postgres'], {
    stdio: 'ignore',
  });
  await cluster.query('CHECKPOINT');
  const [{ size }] = await cluster.query('SELECT pg_database_size(current_database()) AS size');
  mkdirSync(home, { recursive: true });
  giveToPostgres(home);
  const probe = spawnSync('node', [cli, '-c', config, 'check', 'bench'], {
    ...(postgres ? { uid: postgres.uid, gid: postgres.gid } : {}),
  });
  if (probe.status === null) throw new Error('barkeep check did not run');

  const dest = join(scratch, 'dest');
  const backupVariants = {
    'pg_basebackup -Fp': () =>
      measure(
        join(bin, 'pg_basebackup'),
        ['-D', dest, '-Fp', '-X', 'none', '-c', 'fast', ...conn],
        scratch,
      ),
    'barkeep backup plain': () => {
      writeConfig([]);
      return measure('node', [cli, '-q', '-c', config, 'backup', 'bench'], scratch);
    },
    'pg_basebackup server-zstd:level=1,workers=2': () =>
      measure(
        join(bin, 'pg_basebackup'),
        [
          '-D',
          dest,
          '-Ft',
          '-X',
          'none',
          '-c',
          'fast',
          '--compress=server-zstd:level=1,workers=2',
          ...conn,
        ],
        scratch,
      ),
    'barkeep backup zstd': () => {
      writeConfig(['backup_compression = zstd', 'backup_compression_level = 1']);
      return measure('node', [cli, '-q', '-c', config, 'backup', 'bench'], scratch);
    },
  };
  const backups = Object.fromEntries(Object.keys(backupVariants).map((name) => [name, []]));
  const names = Object.keys(backupVariants);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      backups[name].push(backupVariants[name]());
      rmSync(dest, { recursive: true, force: true });
      // Keep only the newest plain barkeep backup: the recover rows use it.
      if (name.startsWith('barkeep') && round < rounds - 1) {
        rmSync(join(home, 'bench', 'base'), { recursive: true, force: true });
        mkdirSync(join(home, 'bench', 'base'));
        giveToPostgres(join(home, 'bench', 'base'));
      }
    }
  }
  console.log(
    `pgbench scale ${scale}: ${(Number(size) / 2 ** 20).toFixed(0)} MiB database, ${rounds} round(s)\n`,
  );
  printTable(
    'Full backup, plain',
    pick(backups, ['pg_basebackup -Fp', 'barkeep backup plain']),
    'pg_basebackup -Fp',
  );
  printTable(
    'Full backup, zstd',
    pick(backups, ['pg_basebackup server-zstd:level=1,workers=2', 'barkeep backup zstd']),
    'pg_basebackup server-zstd:level=1,workers=2',
  );

  // Recover: the newest plain backup, its WAL archived first.
  writeConfig([]);
  spawnSync('node', [cli, '-c', config, 'switch-wal', '--archive', '--force', 'bench'], {
    ...(postgres ? { uid: postgres.uid, gid: postgres.gid } : {}),
  });
  const listed = spawnSync('node', [cli, '-c', config, '-f', 'json', 'list-backups', 'bench'], {
    encoding: 'utf8',
    ...(postgres ? { uid: postgres.uid, gid: postgres.gid } : {}),
  });
  const asPostgres = postgres ? { uid: postgres.uid, gid: postgres.gid } : {};
  const plain = JSON.parse(listed.stdout).bench.find((b) => {
    const shown = spawnSync(
      'node',
      [cli, '-c', config, '-f', 'json', 'show-backup', 'bench', b.backup_id],
      {
        encoding: 'utf8',
        ...asPostgres,
      },
    );
    return b.status === 'DONE' && JSON.parse(shown.stdout).bench.compression === null;
  });
  if (!plain) throw new Error(`no plain barkeep backup to recover: ${listed.stderr}`);
  const data = join(home, 'bench', 'base', plain.backup_id, 'data');
  const recoverVariants = {
    'cp -a (floor)': () => measure('cp', ['-a', data, dest], scratch),
    'barkeep recover': () =>
      measure(
        'node',
        [cli, '-q', '-c', config, 'recover', 'bench', plain.backup_id, dest],
        scratch,
      ),
  };
  const recovers = Object.fromEntries(Object.keys(recoverVariants).map((name) => [name, []]));
  const recoverNames = Object.keys(recoverVariants);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < recoverNames.length; i++) {
      const name = recoverNames[(i + round) % recoverNames.length];
      recovers[name].push(recoverVariants[name]());
      rmSync(dest, { recursive: true, force: true });
    }
  }
  printTable('Recover of a plain backup', recovers, 'cp -a (floor)');

  const ratio = (a, b) => median(a.map((s) => s.ms)) / median(b.map((s) => s.ms));
  const goals = [
    [
      'plain backup <= 0.8x pg_basebackup -Fp',
      ratio(backups['barkeep backup plain'], backups['pg_basebackup -Fp']),
      0.8,
    ],
    [
      'zstd backup <= 1.0x pg_basebackup server-zstd',
      ratio(backups['barkeep backup zstd'], backups['pg_basebackup server-zstd:level=1,workers=2']),
      1.0,
    ],
    ['recover <= 1.3x cp -a', ratio(recovers['barkeep recover'], recovers['cp -a (floor)']), 1.3],
  ];
  for (const [goal, value, limit] of goals)
    console.log(`Goal: ${goal}: ${value.toFixed(2)}x, ${value <= limit ? 'MET' : 'MISSED'}`);
  const rss = Math.max(
    ...[
      ...backups['barkeep backup plain'],
      ...backups['barkeep backup zstd'],
      ...recovers['barkeep recover'],
    ].map((s) => s.rss),
  );
  console.log(`Goal: peak RSS <= 120 MiB: ${rss.toFixed(0)} MiB, ${rss <= 120 ? 'MET' : 'MISSED'}`);
} finally {
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
  sandboxCleanup.delete(cleanup);
}

function pick(samples, names) {
  return Object.fromEntries(names.map((name) => [name, samples[name]]));
}
