// A large catalog, synthesized: 1,000,000 archived segments (empty files under wals/ plus their
// xlog.db lines) and 10,000 DONE backups (backup.info files), beside an empty catalog of the
// same server. Timed, each in both catalogs: `get-wal -o DIR` of one segment (16 MiB of zeros,
// stored uncompressed: get-wal finds a file by its path and never reads xlog.db, so the other
// segments can be empty placeholders), `list-backups`, and `archive-wal` of one new real segment
// dropped into incoming/; and `node -e 0`, the floor of any command.
// Usage: node bench/scale.mjs [--quick]   (SEGMENTS, BACKUPS, RUNS override 1000000, 10000, 5;
// quick: 10000, 100, 1). Goals (issue 10): get-wal < 50 ms, list-backups < 1 s, archive-wal
// not slower than with an empty catalog.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';
import { median } from './stats.mjs';

const quick = process.argv.includes('--quick');
const segmentCount = Number(process.env.SEGMENTS ?? (quick ? 10_000 : 1_000_000));
const backupCount = Number(process.env.BACKUPS ?? (quick ? 100 : 10_000));
const runs = Number(process.env.RUNS ?? (quick ? 1 : 5));

const unregister = register();
const { startThrowawayCluster } = await import('../src/sandbox/throwaway-cluster.ts');
const { sandboxCleanup } = await import('../src/sandbox/cleanup-registry.ts');
const { emptyBackupInfo, formatBackupInfo } = await import('../src/catalog/backup-info.ts');
const { backupTimestamp } = await import('../src/catalog/backup-timestamp.ts');
unregister();

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'barkeep.js');
const hex = (value, width) => value.toString(16).toUpperCase().padStart(width, '0');
/** Segment number n of timeline 1 with 16 MiB segments, starting at log 0x100 (clear of real WAL). */
const segment = (n) => `00000001${hex(0x100 + Math.floor(n / 256), 8)}${hex(n % 256, 8)}`;

function timed(args, program = [cli]) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [...program, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`barkeep ${args.join(' ')}: ${result.stderr}`);
  return ms;
}

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-bench-scale-'));
const cleanup = { emergencyCleanup: () => rmSync(scratch, { recursive: true, force: true }) };
sandboxCleanup.add(cleanup);
let cluster;
try {
  // A real cluster only for its system identifier and real segments to archive.
  cluster = await startThrowawayCluster({ label: 'bench-scale' });
  const [{ id }] = await cluster.query(
    'SELECT system_identifier::text AS id FROM pg_control_system()',
  );
  const realSegments = [];
  for (let i = 0; i < runs * 2 + 2; i++) {
    await cluster.query(
      'CREATE TABLE IF NOT EXISTS t (g int); INSERT INTO t SELECT generate_series(1, 1000)',
    );
    const [{ name }] = await cluster.query(
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    await cluster.query('SELECT pg_switch_wal()');
    // Copied at once: a checkpoint may recycle it.
    copyFileSync(join(cluster.dataDir, 'pg_wal', name), join(scratch, name));
    realSegments.push(name);
  }

  const catalogs = {};
  for (const kind of ['empty', 'large']) {
    const home = join(scratch, kind);
    const server = join(home, 'bench');
    for (const dir of ['base', 'errors', 'incoming', 'streaming', 'wals'])
      mkdirSync(join(server, dir), { recursive: true });
    writeFileSync(
      join(server, 'identity.json'),
      `{"systemid": "${id}", "version": "${cluster.major}"}\n`,
    );
    const config = join(home, 'barkeep.conf');
    writeFileSync(
      config,
      `[barkeep]\nbarman_home = ${home}\n\n[bench]\nconninfo = host=/nonexistent\narchiver = on\n`,
    );
    catalogs[kind] = { home, server, config };
  }

  // The large catalog: segments, their index, backups spread over them.
  const started = process.hrtime.bigint();
  const { server } = catalogs.large;
  let index = '';
  let lines = 0;
  const flushIndex = () => {
    writeFileSync(join(server, 'wals', 'xlog.db'), index, { flag: 'a' });
    index = '';
  };
  for (let n = 0; n < segmentCount; n++) {
    const name = segment(n);
    const dir = join(server, 'wals', name.slice(0, 16));
    if (n % 256 === 0) mkdirSync(dir, { recursive: true });
    closeSync(openSync(join(dir, name), 'w'));
    index += `${name}\t16777216\t${1_700_000_000 + n}\tNone\n`;
    if (++lines % 50_000 === 0) flushIndex();
  }
  flushIndex();
  // One real-size segment to fetch.
  const fetched = segment(Math.floor(segmentCount / 2));
  writeFileSync(
    join(server, 'wals', fetched.slice(0, 16), fetched),
    Buffer.alloc(16 * 1024 * 1024),
  );
  mkdirSync(join(catalogs.empty.server, 'wals', fetched.slice(0, 16)));
  writeFileSync(
    join(catalogs.empty.server, 'wals', fetched.slice(0, 16), fetched),
    Buffer.alloc(16 * 1024 * 1024),
  );
  const step = Math.max(1, Math.floor(segmentCount / backupCount));
  for (let b = 0; b < backupCount; b++) {
    const end = new Date(Date.UTC(2020, 0, 1) + b * 3_600_000);
    const backupId = end.toISOString().replace(/[-:]/g, '').slice(0, 15);
    const dir = join(server, 'base', backupId);
    mkdirSync(dir);
    const wal = segment(b * step);
    writeFileSync(
      join(dir, 'backup.info'),
      formatBackupInfo({
        ...emptyBackupInfo(backupId),
        status: 'DONE',
        server_name: 'bench',
        systemid: id,
        mode: 'postgres',
        begin_time: backupTimestamp(new Date(end.getTime() - 60_000)),
        end_time: backupTimestamp(end),
        begin_wal: wal,
        end_wal: wal,
        timeline: 1,
        size: 1_000_000,
        version: cluster.major * 10000,
      }),
    );
  }
  const setupSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  const samples = {};
  const add = (name, ms) => {
    samples[name] ??= [];
    samples[name].push(ms);
  };
  let real = 0;
  for (let run = 0; run < runs; run++) {
    // The floor of any command: Node.js starting and exiting.
    add('node -e 0 (floor of any command)', timed(['-e', '0'], []));
    for (const kind of run % 2 === 0 ? ['empty', 'large'] : ['large', 'empty']) {
      const { config, server } = catalogs[kind];
      mkdirSync(join(scratch, `out-${kind}`));
      add(
        `get-wal, ${kind}`,
        timed(['-c', config, 'get-wal', '-o', join(scratch, `out-${kind}`), 'bench', fetched]),
      );
      rmSync(join(scratch, `out-${kind}`), { recursive: true, force: true });
      add(`list-backups, ${kind}`, timed(['-c', config, 'list-backups', 'bench']));
      const offered = realSegments[real++];
      copyFileSync(join(scratch, offered), join(server, 'incoming', offered));
      add(`archive-wal of one segment, ${kind}`, timed(['-c', config, 'archive-wal', 'bench']));
    }
  }

  console.log(
    `### Scale: ${segmentCount.toLocaleString('en')} archived segments and ${backupCount.toLocaleString('en')} backups (synthesized in ${setupSeconds.toFixed(0)} s), ${runs} run(s)\n`,
  );
  console.log('| command | median ms | min-max ms | runs | x empty catalog |');
  console.log('|---|---|---|---|---|');
  for (const [name, values] of Object.entries(samples)) {
    const empty = samples[name.replace(/, large$/, ', empty')];
    console.log(
      `| ${name} | ${median(values).toFixed(1)} | ${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)} | ${values.length} | ${name.endsWith(', large') || name.endsWith(', empty') ? (median(values) / median(empty)).toFixed(2) : '-'} |`,
    );
  }
  const m = (name) => median(samples[name]);
  console.log();
  console.log(
    `Goal: get-wal < 50 ms: ${m('get-wal, large').toFixed(1)} ms, ${m('get-wal, large') < 50 ? 'MET' : 'MISSED'}`,
  );
  console.log(
    `Goal: list-backups < 1 s: ${m('list-backups, large').toFixed(0)} ms, ${m('list-backups, large') < 1000 ? 'MET' : 'MISSED'}`,
  );
  const ratio = m('archive-wal of one segment, large') / m('archive-wal of one segment, empty');
  console.log(
    `Goal: archive-wal not slower than with an empty catalog: ${ratio.toFixed(2)}x, ${ratio <= 1.2 ? 'MET (within the 20 % noise)' : 'MISSED'}`,
  );
} finally {
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
  sandboxCleanup.delete(cleanup);
}
