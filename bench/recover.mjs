// Recover/restore of one full plain backup of a pgbench cluster, side by side in one run:
// `cp -a` of the barkeep backup's data directory (the floor and reference), the same followed by
// `sync -f` (the floor of a durable copy), `barkeep recover` with no target (it copies every
// archived WAL file there is into the destination and fsyncs what it writes), the same with
// `--get-wal` (no WAL copied: restore_command fetches it) and with `--jobs 2`, `pgbackrest
// restore` of a `--compress-type=none` full backup (default process-max=1) and `barman recover`
// of a postgres-method backup (it copies the WAL, as barkeep's default). pgBackRest and Barman
// rows are there when the peer is installed (a full run as root installs it with apt-get).
// Usage: node bench/recover.mjs [--quick]   (SCALE and ROUNDS override 100 and 3; quick: 5, 1)
// Each backup is taken once, untimed; every run restores into a fresh destination removed after
// it (outside the timed call), as the postgres OS user when we are root, in rotated order. Wall
// time by hrtime around the call, peak RSS by GNU time (`/usr/bin/time -f %M`).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backupIds,
  giveTo,
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

const { startThrowawayCluster, installCliCopy, sandboxCleanup } = await loadSandbox();
const postgres = postgresAccount();

if (!existsSync('/usr/bin/time'))
  throw new Error('GNU time (/usr/bin/time) is needed: apt-get install time');
const scratch = mkdtempSync(join(tmpdir(), 'barkeep-bench-recover-'));
const cleanup = { emergencyCleanup: () => rmSync(scratch, { recursive: true, force: true }) };
sandboxCleanup.add(cleanup);
let cluster;
try {
  const setup = await startBackupCluster({
    label: 'bench-recover',
    scale,
    quick,
    scratch,
    postgres,
    startThrowawayCluster,
    installCliCopy,
  });
  cluster = setup.cluster;
  const { cli, barkeep, pgbackrest, barman } = setup;

  // The backups, untimed; then a WAL switch, so that there is WAL after each backup to copy.
  runChecked(
    process.execPath,
    [cli, '-q', '-c', barkeep.config, 'backup', '--wait', SERVER],
    postgres,
  );
  const [barkeepId] = backupIds(barkeep.home);
  let pgbrSet;
  if (pgbackrest) {
    const config = [`--config=${pgbackrest.config}`, `--stanza=${SERVER}`];
    runChecked(
      pgbackrest.program,
      [...config, '--type=full', '--compress-type=none', 'backup'],
      postgres,
    );
    const info = JSON.parse(
      runChecked(pgbackrest.program, [...config, '--output=json', 'info'], postgres).stdout,
    );
    pgbrSet = info[0].backup.at(-1).label;
  }
  let barmanId;
  if (barman) {
    runChecked('barman', ['-q', '-c', barman.config, 'backup', '--wait', SERVER], postgres);
    [barmanId] = backupIds(barman.home);
  }
  await cluster.query(
    'INSERT INTO pgbench_history SELECT 1, 1, g, 1, now() FROM generate_series(1, 1000) g',
  );
  runChecked(
    process.execPath,
    [cli, '-q', '-c', barkeep.config, 'switch-wal', '--force', '--archive', SERVER],
    postgres,
  );

  const dest = join(scratch, 'dest');
  const data = join(barkeep.home, SERVER, 'base', barkeepId, 'data');
  const recover = (extra) => () =>
    measure(
      process.execPath,
      [cli, '-q', '-c', barkeep.config, 'recover', ...extra, SERVER, barkeepId, dest],
      scratch,
      postgres,
    );
  const REF = 'cp -a (floor)';
  const variants = {
    [REF]: () => measure('cp', ['-a', data, dest], scratch, postgres),
    'cp -a && sync -f': () =>
      measure('sh', ['-c', `cp -a ${data} ${dest} && sync -f ${dest}`], scratch, postgres),
    'barkeep recover': recover([]),
    'barkeep recover --get-wal': recover(['--get-wal']),
    'barkeep recover --jobs 2': recover(['--jobs', '2']),
    ...(pgbackrest
      ? {
          'pgbackrest restore (process-max=1)': () => {
            // pgBackRest restores into an existing, empty directory (made outside the timing).
            mkdirSync(dest);
            giveTo(postgres, dest);
            return measure(
              pgbackrest.program,
              [
                `--config=${pgbackrest.config}`,
                `--stanza=${SERVER}`,
                `--pg1-path=${dest}`,
                `--set=${pgbrSet}`,
                'restore',
              ],
              scratch,
              postgres,
            );
          },
        }
      : {}),
    ...(barman
      ? {
          'barman recover': () =>
            measure(
              'barman',
              ['-q', '-c', barman.config, 'recover', SERVER, barmanId, dest],
              scratch,
              postgres,
            ),
        }
      : {}),
  };
  const samples = await rotate(variants, rounds, () =>
    rmSync(dest, { recursive: true, force: true }),
  );
  const notes = [
    ...(pgbackrest
      ? []
      : ['pgBackRest is not installed: its row is left out (a full run as root installs it).']),
    ...(barman
      ? []
      : ['Barman is not installed: its row is left out (a full run as root installs it).']),
  ];
  console.log(
    `pgbench scale ${scale}: ${setup.sizeMiB.toFixed(0)} MiB database, ${rounds} round(s); ${versionsLine(setup, postgres)}\n`,
  );
  printSecondsTable('Recover of a full plain backup', samples, REF, notes);
  const ref = median(samples[REF].map((s) => s.ms));
  for (const name of ['barkeep recover', 'barkeep recover --get-wal']) {
    const value = median(samples[name].map((s) => s.ms)) / ref;
    console.log(
      `Goal: ${name} <= 1.3x cp -a: ${value.toFixed(2)}x, ${value <= 1.3 ? 'MET' : 'MISSED'}`,
    );
  }
  const rss = Math.max(
    ...Object.keys(samples)
      .filter((name) => name.startsWith('barkeep'))
      .flatMap((name) => samples[name].map((s) => s.rss)),
  );
  console.log(
    `Goal: peak RSS of barkeep recover <= 120 MiB: ${rss.toFixed(0)} MiB, ${rss <= 120 ? 'MET' : 'MISSED'}`,
  );
} finally {
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
  sandboxCleanup.delete(cleanup);
}
