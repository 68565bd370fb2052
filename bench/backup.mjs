// Full base backups of one pgbench cluster, side by side in one run, plain and zstd:
// - plain: `pg_basebackup -Fp` (the reference), `barkeep backup --wait` (postgres method),
//   `pgbackrest backup --type=full --compress-type=none --process-max=2`, `barman backup --wait`
//   (postgres method);
// - zstd: `pg_basebackup -Ft --compress=server-zstd:level=1,workers=2` (the reference),
//   `barkeep backup` with backup_compression = zstd level 1 on the client side and on the server
//   side with backup_compression_workers = 2, `pgbackrest backup --compress-type=zst --compress-level=1 --process-max=2`, Barman with
//   backup_compression = zstd level 1 on the server with 2 workers.
// pgBackRest and Barman rows are there when the peer is installed (a full run as root installs
// it with apt-get; `--quick` and BENCH_NO_INSTALL=1 never install). The recoveries are in
// bench/recover.mjs.
// Usage: node bench/backup.mjs [--quick]   (SCALE and ROUNDS override 100 and 3; quick: 5, 1)
// Every command runs as the postgres OS user when we are root, into a fresh destination (each
// tool's backups are deleted between runs, outside the timed call); the order of the variants
// rotates per round. Wall time by hrtime around the call, peak RSS by GNU time. Every row ends
// with its last WAL segment archived: pg_basebackup -X none and pgBackRest wait for it, barkeep
// and Barman with --wait (without it barkeep ends before, its backup WAITING_FOR_WALS).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backupIds,
  measure,
  printSecondsTable,
  rotate,
  runChecked,
  SERVER,
  startBackupCluster,
  versionsLine,
} from './backup-peers.mjs';
import { loadSandbox, postgresAccount } from './bench-host.mjs';
import { median } from './stats.mjs';

const quick = process.argv.includes('--quick');
const scale = Number(process.env.SCALE ?? (quick ? 5 : 100));
const rounds = Number(process.env.ROUNDS ?? (quick ? 1 : 3));
// ONLY (comma-separated words) limits the run to the variants whose names hold one of them.

const { startThrowawayCluster, installCliCopy, sandboxCleanup } = await loadSandbox();
const postgres = postgresAccount();

if (!existsSync('/usr/bin/time'))
  throw new Error('GNU time (/usr/bin/time) is needed: apt-get install time');
const scratch = mkdtempSync(join(tmpdir(), 'barkeep-bench-backup-'));
const cleanup = { emergencyCleanup: () => rmSync(scratch, { recursive: true, force: true }) };
sandboxCleanup.add(cleanup);
let cluster;
try {
  const setup = await startBackupCluster({
    label: 'bench-backup',
    scale,
    quick,
    scratch,
    postgres,
    startThrowawayCluster,
    installCliCopy,
  });
  cluster = setup.cluster;
  const { cli, conn, barkeep, pgbackrest, barman } = setup;
  const bin = cluster.binDir;
  const dest = join(scratch, 'dest');
  const pgBaseBackup = (extra) =>
    measure(
      join(bin, 'pg_basebackup'),
      ['-D', dest, '-X', 'none', '-c', 'fast', ...extra, ...conn],
      scratch,
      postgres,
    );
  const barkeepBackup = (lines) => () => {
    barkeep.write(lines);
    return measure(
      process.execPath,
      [cli, '-q', '-c', barkeep.config, 'backup', '--wait', SERVER],
      scratch,
      postgres,
    );
  };
  const pgbrBackup = (options) => () => {
    // Untimed: only the newest full backup stays, so the repository does not fill the disk.
    runChecked(
      pgbackrest.program,
      [`--config=${pgbackrest.config}`, `--stanza=${SERVER}`, '--repo1-retention-full=1', 'expire'],
      postgres,
    );
    return measure(
      pgbackrest.program,
      [
        `--config=${pgbackrest.config}`,
        `--stanza=${SERVER}`,
        '--type=full',
        '--process-max=2',
        ...options,
        'backup',
      ],
      scratch,
      postgres,
    );
  };
  const barmanBackup = (lines) => () => {
    barman.write(lines);
    return measure(
      'barman',
      ['-q', '-c', barman.config, 'backup', '--wait', SERVER],
      scratch,
      postgres,
    );
  };
  const PLAIN_REF = 'pg_basebackup -Fp';
  const ZSTD_REF = 'pg_basebackup -Ft server-zstd:level=1,workers=2';
  const variants = {
    [PLAIN_REF]: () => pgBaseBackup(['-Fp']),
    'barkeep backup plain': barkeepBackup([]),
    ...(pgbackrest
      ? { 'pgbackrest full, none, process-max=2': pgbrBackup(['--compress-type=none']) }
      : {}),
    ...(barman ? { 'barman backup (postgres method)': barmanBackup([]) } : {}),
    [ZSTD_REF]: () => pgBaseBackup(['-Ft', '--compress=server-zstd:level=1,workers=2']),
    'barkeep backup zstd': barkeepBackup([
      'backup_compression = zstd',
      'backup_compression_level = 1',
    ]),
    'barkeep backup zstd:1, server, workers=2': barkeepBackup([
      'backup_compression = zstd',
      'backup_compression_level = 1',
      'backup_compression_location = server',
      'backup_compression_workers = 2',
    ]),
    ...(pgbackrest
      ? {
          'pgbackrest full, zst level 1, process-max=2': pgbrBackup([
            '--compress-type=zst',
            '--compress-level=1',
          ]),
        }
      : {}),
    ...(barman
      ? {
          'barman backup zstd:1, server, workers=2': barmanBackup([
            'backup_compression = zstd',
            'backup_compression_level = 1',
            'backup_compression_location = server',
            'backup_compression_workers = 2',
            'backup_compression_format = tar',
          ]),
        }
      : {}),
  };
  // ONLY=a,b keeps the variants whose names contain one of the words (a quick A/B of one change).
  const only = process.env.ONLY?.split(',').filter(Boolean);
  if (only) {
    for (const name of Object.keys(variants)) {
      if (!only.some((word) => name.includes(word))) delete variants[name];
    }
  }
  const samples = await rotate(variants, rounds, (name) => {
    rmSync(dest, { recursive: true, force: true });
    // Fresh catalogs: the backup just taken goes (outside the timed call).
    if (name.startsWith('barkeep')) {
      for (const id of backupIds(barkeep.home))
        rmSync(join(barkeep.home, SERVER, 'base', id), { recursive: true, force: true });
    }
    if (name.startsWith('barman')) {
      for (const id of backupIds(barman.home))
        runChecked('barman', ['-q', '-c', barman.config, 'delete', SERVER, id], postgres);
    }
  });
  const notes = [
    ...(pgbackrest
      ? []
      : ['pgBackRest is not installed: its rows are left out (a full run as root installs it).']),
    ...(barman
      ? []
      : ['Barman is not installed: its rows are left out (a full run as root installs it).']),
  ];
  const pick = (names) =>
    Object.fromEntries(names.filter((name) => samples[name]).map((name) => [name, samples[name]]));
  const names = Object.keys(variants);
  const plainNames = names.filter((name) => !/zst/.test(name));
  const zstdNames = names.filter((name) => /zst/.test(name));
  console.log(
    `pgbench scale ${scale}: ${setup.sizeMiB.toFixed(0)} MiB database, ${rounds} round(s); ${versionsLine(setup, postgres)}\n`,
  );
  if (samples[PLAIN_REF])
    printSecondsTable('Full backup, plain', pick(plainNames), PLAIN_REF, notes);
  if (samples[ZSTD_REF]) printSecondsTable('Full backup, zstd', pick(zstdNames), ZSTD_REF, notes);

  const ratio = (name, ref) =>
    samples[name] && samples[ref]
      ? median(samples[name].map((s) => s.ms)) / median(samples[ref].map((s) => s.ms))
      : undefined;
  const goals = [
    [`plain backup <= 0.8x ${PLAIN_REF}`, ratio('barkeep backup plain', PLAIN_REF), 0.8],
    [`zstd backup <= 1.0x ${ZSTD_REF}`, ratio('barkeep backup zstd', ZSTD_REF), 1.0],
    [
      `zstd backup on the server, workers=2 <= 1.0x ${ZSTD_REF}`,
      ratio('barkeep backup zstd:1, server, workers=2', ZSTD_REF),
      1.0,
    ],
  ];
  for (const [goal, value, limit] of goals.filter(([, value]) => value !== undefined))
    console.log(`Goal: ${goal}: ${value.toFixed(2)}x, ${value <= limit ? 'MET' : 'MISSED'}`);
  const rss = Math.max(
    ...names.filter((n) => n.startsWith('barkeep')).flatMap((n) => samples[n].map((s) => s.rss)),
  );
  console.log(
    `Goal: peak RSS of barkeep backup <= 120 MiB: ${rss.toFixed(0)} MiB, ${rss <= 120 ? 'MET' : 'MISSED'}`,
  );
} finally {
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
  sandboxCleanup.delete(cleanup);
}
