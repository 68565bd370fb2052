// Cost per 16 MiB WAL segment of archiving, one process per segment as PostgreSQL's archiver
// runs archive_command: `/bin/sh -c COMMAND` (as the `postgres` OS user when we are root) with
// %p/%f substituted. Side by side in one run: cp + sync (the floor), `node -e 0` (the floor of
// any Node.js CLI), `barkeep put-wal` (none, zstd, lz4, gzip) and `pgbackrest archive-push`
// (gz, zst, lz4, none).
// Usage: node bench/put-wal.mjs [--quick]   (SEGMENTS and ROUNDS override the defaults 32 and 5)
// Real WAL comes from a throwaway cluster running pgbench right after a checkpoint. Each variant
// archives the same segments into a fresh destination per round; the order of the variants
// rotates per round. Wall time is taken around each call, CPU time (user+sys of the whole
// process tree) from this process's children times in /proc/self/stat, peak RSS from GNU time.
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import { median, percentile } from './stats.mjs';

const quick = process.argv.includes('--quick');
const segmentCount = Number(process.env.SEGMENTS ?? (quick ? 4 : 32));
const rounds = Number(process.env.ROUNDS ?? (quick ? 1 : 5));
const root = fileURLToPath(new URL('..', import.meta.url));
const SERVER = 'bench';
const STANZA = 'bench';
const GOAL = 1.5;

/** The preload of the phase measurement: timestamps of fs/promises calls, printed at exit. */
const tracerSource = `import fsp from 'node:fs/promises';
import { writeSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const preload = performance.now();
const events = [];
const note = (call, path, start) =>
  events.push({ call, path: typeof path === 'string' ? path : String(path ?? ''), start, end: performance.now() });
for (const name of ['readFile', 'mkdir', 'link', 'rm', 'rename', 'stat', 'lstat', 'unlink', 'writeFile', 'appendFile']) {
  const original = fsp[name];
  fsp[name] = async function (path, ...rest) {
    const start = performance.now();
    try { return await original.call(this, path, ...rest); } finally { note(name, path, start); }
  };
}
const open = fsp.open;
fsp.open = async function (path, ...rest) {
  const start = performance.now();
  const handle = await open.call(this, path, ...rest);
  note('open', path, start);
  for (const name of ['read', 'readFile', 'write', 'writeFile', 'appendFile', 'sync', 'datasync', 'close']) {
    const original = handle[name].bind(handle);
    handle[name] = async (...args) => {
      const begin = performance.now();
      try { return await original(...args); } finally { note(name, path, begin); }
    };
  }
  return handle;
};
syncBuiltinESMExports();
process.on('exit', () => {
  writeSync(2, 'TRACE ' + JSON.stringify({ origin: performance.timeOrigin, preload, exit: performance.now(), events }) + '\\n');
});
`;

const unregister = register();
const { startThrowawayCluster } = await import('../src/sandbox/throwaway-cluster.ts');
const { installCliCopy } = await import('../src/sandbox/install-cli-copy.ts');
const { sandboxCleanup } = await import('../src/sandbox/cleanup-registry.ts');
unregister();

const asRoot = process.getuid?.() === 0;
const user = asRoot ? postgresUser() : undefined;
const clockTicks = Number(run('getconf', ['CLK_TCK']).stdout.trim()) || 100;

/** The `postgres` OS account (the sandbox runs the cluster as it when we are root). */
function postgresUser() {
  const entry = run('getent', ['passwd', 'postgres']).stdout.trim().split(':');
  return { name: entry[0], uid: Number(entry[2]), gid: Number(entry[3]), home: entry[5] };
}

/** Runs a program (as root, not as postgres) and fails loudly unless it exits 0. */
function run(program, args, options = {}) {
  const result = spawnSync(program, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new Error(
      `${program} ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr ?? ''}${result.error ?? ''}`,
    );
  }
  return result;
}

/** Like `run`, as the postgres OS user when we are root, with the archiver's small environment. */
function runAsPostgres(program, args, options = {}) {
  return run(program, args, { env: archiverEnv(), ...asPostgres(), ...options });
}

function asPostgres() {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

function archiverEnv() {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: user?.home ?? process.env.HOME ?? '/',
    LANG: 'C.UTF-8',
  };
}

function giveToPostgres(path) {
  if (!user) return;
  chownSync(path, user.uid, user.gid);
  if (!statSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) giveToPostgres(join(path, name));
}

function which(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
}

/** Installs a Debian package for the benchmark when we are root and apt-get works. */
function aptInstall(name) {
  // BENCH_NO_INSTALL=1 (the CI smoke test): leave out what is missing instead.
  if (!asRoot || process.env.BENCH_NO_INSTALL === '1') return false;
  console.error(`put-wal bench: installing ${name} with apt-get`);
  let result = spawnSync('apt-get', ['install', '-y', '-q', name], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
    result = spawnSync('apt-get', ['install', '-y', '-q', name], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  if (result.status !== 0) console.error(`put-wal bench: apt-get install ${name} failed`);
  return result.status === 0;
}

/**
 * Lets the event loop run, so that SIGINT/SIGTERM sent to this process alone reach the sandbox's
 * cleanup handlers (they stop the cluster and remove the scratch directory) between two calls.
 */
function signalsHandled() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Children user+sys time of this process so far, in ms (kernel-precise sums, 10 ms ticks). */
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks;
}

// ---------------------------------------------------------------------------------------------
// Preparation

if (!existsSync('/usr/bin/time')) aptInstall('time');
if (!existsSync('/usr/bin/time')) throw new Error('GNU time (/usr/bin/time) is needed');
if (!existsSync(join(root, 'dist', 'barkeep.js'))) run('npm', ['run', 'build'], { cwd: root });
let pgbackrest = which('pgbackrest');
if (!pgbackrest && aptInstall('pgbackrest')) pgbackrest = which('pgbackrest');

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-bench-putwal-'));
const removeScratch = { emergencyCleanup: () => rmSync(scratch, { recursive: true, force: true }) };
sandboxCleanup.add(removeScratch);
let cluster;
try {
  const sourceDir = join(scratch, 'src');
  const destRoot = join(scratch, 'dst');
  mkdirSync(sourceDir);
  mkdirSync(destRoot);
  mkdirSync(join(scratch, 'cli'));
  const cliBundle = join(installCliCopy(join(scratch, 'cli')), '..', 'dist', 'barkeep.js');

  cluster = await startThrowawayCluster({
    label: 'bench-putwal',
    settings: {
      wal_keep_size: `${(segmentCount + 16) * 16}MB`,
      max_wal_size: '4GB',
      checkpoint_timeout: '1h',
      // Commits need not wait for the disk: WAL is generated faster, with the same content.
      synchronous_commit: 'off',
    },
  });
  const pgbench = join(cluster.binDir, 'pgbench');
  const pgbenchConn = ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres'];
  run(pgbench, ['-i', '-q', '-s', '10', ...pgbenchConn, 'postgres']);
  await cluster.query('CHECKPOINT');
  const walName = async () =>
    (await cluster.query('SELECT pg_walfile_name(pg_current_wal_lsn()) AS name'))[0].name;
  const first = await walName();
  const segNo = (name) =>
    Number.parseInt(name.slice(8, 16), 16) * 256 + Number.parseInt(name.slice(16), 16);
  while (segNo(await walName()) < segNo(first) + segmentCount + 1) {
    run(pgbench, ['-n', '-c', '4', '-j', '2', '-T', '3', ...pgbenchConn, 'postgres']);
  }
  const current = await walName();
  const segments = readdirSync(join(cluster.dataDir, 'pg_wal'))
    .filter((name) => /^[0-9A-F]{24}$/.test(name) && name > first && name < current)
    .sort()
    .slice(0, segmentCount);
  if (segments.length < segmentCount) throw new Error(`only ${segments.length} segments`);
  for (const name of segments) {
    copyFileSync(join(cluster.dataDir, 'pg_wal', name), join(sourceDir, name));
  }
  const [{ systemid }] = await cluster.query(
    'SELECT system_identifier::text AS systemid FROM pg_control_system()',
  );

  // barkeep: a catalog template with identity.json, copied fresh for every variant and round.
  const barkeepTemplate = join(scratch, 'barkeep-home');
  for (const directory of ['base', 'errors', 'incoming', 'streaming', 'wals']) {
    mkdirSync(join(barkeepTemplate, SERVER, directory), { recursive: true });
  }
  writeFileSync(
    join(barkeepTemplate, SERVER, 'identity.json'),
    `${JSON.stringify({ systemid, version: String(cluster.major) }, null, 2)}\n`,
  );
  for (const compression of ['none', 'zstd', 'lz4', 'gzip']) {
    writeFileSync(
      join(scratch, `barkeep-${compression}.conf`),
      [
        '[barkeep]',
        `barman_home = ${join(destRoot, `barkeep-${compression}`)}`,
        '',
        `[${SERVER}]`,
        'description = put-wal benchmark',
        'archiver = on',
        `compression = ${compression}`,
        '',
      ].join('\n'),
    );
  }

  // pgBackRest: a stanza created once in a template repository, copied fresh like the catalog.
  const pgbrConfig = join(scratch, 'pgbackrest.conf');
  const pgbrTemplate = join(scratch, 'pgbr-repo');
  if (pgbackrest) {
    mkdirSync(join(scratch, 'pgbr-log'));
    mkdirSync(join(scratch, 'pgbr-lock'));
    mkdirSync(pgbrTemplate);
    writeFileSync(
      pgbrConfig,
      [
        '[global]',
        `repo1-path=${pgbrTemplate}`,
        `log-path=${join(scratch, 'pgbr-log')}`,
        `lock-path=${join(scratch, 'pgbr-lock')}`,
        'log-level-console=warn',
        '',
        `[${STANZA}]`,
        `pg1-path=${cluster.dataDir}`,
        `pg1-port=${cluster.port}`,
        `pg1-socket-path=${cluster.socketDir}`,
        '',
      ].join('\n'),
    );
  }
  giveToPostgres(scratch);
  if (pgbackrest)
    runAsPostgres(pgbackrest, [`--config=${pgbrConfig}`, `--stanza=${STANZA}`, 'stanza-create']);

  const node = process.execPath;
  const variants = [
    { name: 'cp + sync', dest: 'cp', command: (d) => `cp %p ${d}/%f && sync ${d}/%f` },
    { name: 'node -e 0 (no copy)', dest: 'node', command: () => `${node} -e 0`, stores: false },
    ...['none', 'zstd', 'lz4', 'gzip'].map((compression) => ({
      name: `barkeep put-wal ${compression}`,
      dest: `barkeep-${compression}`,
      template: barkeepTemplate,
      command: () =>
        `${node} ${cliBundle} -c ${join(scratch, `barkeep-${compression}.conf`)} put-wal ${SERVER} %p`,
    })),
    ...(pgbackrest
      ? [
          ['gz', 'default gz level 6', ''],
          ['zst', 'zst level 3', ' --compress-type=zst'],
          ['lz4', 'lz4', ' --compress-type=lz4'],
          ['none', 'none', ' --compress-type=none'],
        ].map(([type, label, option]) => ({
          name: `pgbackrest archive-push ${label}`,
          dest: `pgbr-${type}`,
          template: pgbrTemplate,
          command: (d) =>
            `${pgbackrest} --config=${pgbrConfig} --stanza=${STANZA} --repo1-path=${d}${option} archive-push %p`,
        }))
      : []),
  ];

  const timeFile = join(scratch, 'time.out');
  /** Archives one segment into `dest` as the archiver would; returns wall, CPU, RSS. */
  function archiveOnce(variant, dest, name) {
    const command = variant
      .command(dest)
      .replaceAll('%p', join(sourceDir, name))
      .replaceAll('%f', name);
    const cpuBefore = childrenCpuMs();
    const start = process.hrtime.bigint();
    const result = spawnSync(
      '/usr/bin/time',
      ['-f', '%M', '-o', timeFile, '/bin/sh', '-c', command],
      {
        cwd: scratch,
        env: archiverEnv(),
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        ...asPostgres(),
      },
    );
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpuMs = childrenCpuMs() - cpuBefore;
    const rssKiB = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
    if (result.signal === 'SIGINT' || result.signal === 'SIGTERM') {
      throw new Error(`interrupted (${variant.name} got ${result.signal})`);
    }
    const ok = result.status === 0;
    if (!ok)
      console.error(`put-wal bench: ${variant.name} ${name} failed: ${result.stderr.trim()}`);
    return { wallMs, cpuMs, rssKiB, ok };
  }

  /**
   * A fresh destination for a variant: an empty directory, or a copy of its template (barkeep's
   * configurations name it as barman_home).
   */
  function freshDestination(variant) {
    const dest = join(destRoot, variant.dest);
    rmSync(dest, { recursive: true, force: true });
    if (variant.template) runAsPostgres('cp', ['-a', variant.template, dest]);
    else {
      mkdirSync(dest);
      giveToPostgres(dest);
    }
    return dest;
  }

  // Warm-up: every variant archives one segment once, untimed (page cache of binaries and CLI).
  run(
    'cat',
    segments.map((name) => join(sourceDir, name)),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  for (const variant of variants) {
    const dest = freshDestination(variant);
    archiveOnce(variant, dest, segments[0]);
    rmSync(dest, { recursive: true, force: true });
    await signalsHandled();
  }

  /**
   * Where one barkeep put-wal call spends its time: the calls run without sh and GNU time, with
   * a preload that timestamps every fs/promises call; phases are cut at the first touch of the
   * segment, of wals/<timeline+log>/ and of the xlogdb lock. Also node -e 0, for the floor.
   */
  async function measurePhases() {
    const tracer = join(scratch, 'trace-fs.mjs');
    writeFileSync(tracer, tracerSource);
    giveToPostgres(tracer);
    const calls = Math.min(segments.length, quick ? 3 : 9);
    const traced = async (args) => {
      const start = performance.timeOrigin + performance.now();
      const result = spawnSync(process.execPath, ['--import', tracer, ...args], {
        cwd: scratch,
        env: archiverEnv(),
        encoding: 'utf8',
        ...asPostgres(),
      });
      const end = performance.timeOrigin + performance.now();
      if (result.status !== 0) throw new Error(`traced ${args.join(' ')}: ${result.stderr}`);
      await signalsHandled();
      const line = result.stderr.split('\n').find((text) => text.startsWith('TRACE '));
      const { origin, preload, exit, events } = JSON.parse(line.slice(6));
      return { origin, preload, exit, events, start, end };
    };
    const columns = [
      'exec',
      'node bootstrap',
      'load bundle, CLI, config',
      'read WAL (readFile)',
      'rest up to store (layout, identity, validate, compress)',
      'store (write, fsync, link, dir fsync)',
      'xlog.db (lock, append, fsync, unlock)',
      'exit + teardown',
      'total',
    ];
    const rows = [];
    const floor = [];
    for (let i = 0; i < calls; i++) {
      const t = await traced(['-e', '0']);
      floor.push([
        t.origin - t.start,
        t.preload,
        NaN,
        NaN,
        NaN,
        NaN,
        NaN,
        t.end - t.origin - t.preload,
        t.end - t.start,
      ]);
    }
    rows.push(['node -e 0', floor]);
    for (const compression of ['none', 'zstd', 'lz4', 'gzip']) {
      const variant = variants.find((v) => v.name === `barkeep put-wal ${compression}`);
      const dest = freshDestination(variant);
      const samples = [];
      for (const name of segments.slice(0, calls)) {
        const source = join(sourceDir, name);
        const t = await traced([
          cliBundle,
          '-c',
          join(scratch, `barkeep-${compression}.conf`),
          'put-wal',
          SERVER,
          source,
        ]);
        // Events are recorded when calls end: take the earliest start and the latest end.
        const startOf = (test) =>
          Math.min(...t.events.filter((event) => test(event.path)).map((event) => event.start));
        const touch = startOf((path) => path === source);
        const read = t.events.find((event) => event.path === source && event.call === 'readFile');
        const store = startOf((path) => /\/wals\/[0-9A-F]{16}(\/|$)/.test(path));
        const lockStart = startOf((path) => path.includes('xlogdb.lock'));
        const lockEnd = Math.max(
          ...t.events
            .filter((event) => event.path.includes('xlogdb.lock'))
            .map((event) => event.end),
        );
        const readMs = read ? read.end - read.start : Number.NaN;
        samples.push([
          t.origin - t.start,
          t.preload,
          touch - t.preload,
          readMs,
          store - touch - (read ? readMs : 0),
          lockStart - store,
          lockEnd - lockStart,
          t.end - t.origin - lockEnd,
          t.end - t.start,
        ]);
      }
      rows.push([`barkeep put-wal ${compression}`, samples]);
      rmSync(dest, { recursive: true, force: true });
    }
    const cell = (values) => {
      const known = values.filter((value) => Number.isFinite(value));
      return known.length ? median(known).toFixed(1) : '-';
    };
    return [
      `### Where a barkeep put-wal call spends its time (median ms of ${calls} calls each)`,
      '',
      'Run without sh and GNU time, with a preload (`--import`) timestamping every fs/promises call; ' +
        'phases are cut at the first touch of the segment, of wals/<timeline+log>/ and of the ' +
        'xlogdb lock. exec: spawn to process start; exit + teardown: last lock release (node -e 0: ' +
        'end of the preload) to the parent seeing the exit.',
      '',
      `| call | ${columns.join(' | ')} |`,
      `|---|${columns.map(() => '---').join('|')}|`,
      ...rows.map(
        ([label, samples]) =>
          `| ${label} | ${columns.map((_, index) => cell(samples.map((sample) => sample[index]))).join(' | ')} |`,
      ),
    ];
  }

  const results = new Map(
    variants.map((variant) => [variant.name, { wall: [], cpu: [], rss: 0, failed: 0, stored: [] }]),
  );
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(round + i) % variants.length];
      const result = results.get(variant.name);
      const dest = freshDestination(variant);
      for (const name of segments) {
        const sample = archiveOnce(variant, dest, name);
        await signalsHandled();
        result.wall.push(sample.wallMs);
        result.cpu.push(sample.cpuMs);
        result.rss = Math.max(result.rss, sample.rssKiB);
        if (!sample.ok) result.failed++;
      }
      if (variant.stores !== false) {
        const { count, bytes } = storedSegments(dest);
        if (count !== segments.length) {
          console.error(`put-wal bench: ${variant.name} stored ${count} of ${segments.length}`);
        }
        result.stored.push(bytes);
      }
      rmSync(dest, { recursive: true, force: true });
    }
  }
  const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const phaseLines = await measurePhases();

  const reference = median(results.get('cp + sync').wall);
  const lines = [
    `### WAL archiving: cost per 16 MiB segment (goal: barkeep put-wal zstd <= ${GOAL}x cp + sync)`,
    '',
    `${segments.length} real segments (pgbench -c 4 right after a checkpoint), ${rounds} round(s), ` +
      `one \`/bin/sh -c\` per segment as user ${user?.name ?? process.env.USER ?? 'self'}; ` +
      `load average ${loadBefore} before, ${loadAfter} after.`,
    '',
    '| variant | median ms/seg | p90 ms | min-max ms | CPU ms/seg | stored MiB | peak RSS MiB | failed | x cp + sync |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const variant of variants) {
    const result = results.get(variant.name);
    const m = median(result.wall);
    const cpu = result.cpu.reduce((sum, value) => sum + value, 0) / result.cpu.length;
    const stored = result.stored.length ? (median(result.stored) / 2 ** 20).toFixed(0) : '-';
    lines.push(
      `| ${variant.name} | ${m.toFixed(1)} | ${percentile(result.wall, 90).toFixed(1)} | ` +
        `${Math.min(...result.wall).toFixed(1)}-${Math.max(...result.wall).toFixed(1)} | ` +
        `${cpu.toFixed(1)} | ${stored} | ${(result.rss / 1024).toFixed(0)} | ${result.failed} | ` +
        `${(m / reference).toFixed(2)} |`,
    );
  }
  const zstd = median(results.get('barkeep put-wal zstd').wall);
  const ratio = zstd / reference;
  lines.push(
    '',
    `Goal: barkeep put-wal zstd ${zstd.toFixed(1)} ms vs cp + sync ${reference.toFixed(1)} ms = ` +
      `${ratio.toFixed(2)}x: ${ratio <= GOAL ? 'met' : 'MISSED'} (goal <= ${GOAL}x).`,
    '',
    `Stored MiB: the ${segments.length} segments as stored (${segments.length * 16} MiB offered). ` +
      'CPU: mean user+sys of the whole process tree (sh, the tool, its children). ' +
      'Differences under ~20 % are noise on this machine.',
    '',
    'Commands (%p, %f as the archiver substitutes them; DST a fresh directory per round):',
    '',
    ...variants.map(
      (variant) => `- ${variant.name}: \`${variant.command('DST').replaceAll(scratch, '$BENCH')}\``,
    ),
    '',
    ...phaseLines,
    '',
    machineLines(cluster.binDir, pgbackrest, cliBundle),
  );
  console.log(lines.join('\n'));
} finally {
  if (cluster) await cluster.stop();
  rmSync(scratch, { recursive: true, force: true });
  sandboxCleanup.delete(removeScratch);
}

/** Counts and sizes the archived segment files under a destination. */
function storedSegments(directory) {
  let count = 0;
  let bytes = 0;
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /^[0-9A-F]{24}($|[-.])/.test(entry.name)) {
      count++;
      bytes += statSync(join(entry.parentPath ?? entry.path, entry.name)).size;
    }
  }
  return { count, bytes };
}

function machineLines(binDir, pgbackrestPath, cliBundle) {
  const cpu = cpus();
  const osName = /PRETTY_NAME="([^"]*)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  const postgres = run(join(binDir, 'postgres'), ['--version']).stdout.trim();
  const pgbr = pgbackrestPath ? run(pgbackrestPath, ['version']).stdout.trim() : 'not installed';
  const barkeep = run(process.execPath, [cliBundle, '--version']).stdout.trim();
  // The bundle may be split into chunks (dist/chunks/): count all the JavaScript of dist/.
  const distDir = join(cliBundle, '..');
  const jsFiles = readdirSync(distDir, { recursive: true }).filter((name) => name.endsWith('.js'));
  const distKiB = (
    jsFiles.reduce((sum, name) => sum + statSync(join(distDir, name)).size, 0) / 1024
  ).toFixed(0);
  return [
    `Machine: ${cpu[0]?.model ?? '?'} x ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `${osName ?? 'Linux'}, kernel ${release()}; ${new Date().toISOString()}.`,
    `Versions: node ${process.version}; ${postgres}; ${pgbr}; ${barkeep} (dist/: ${distKiB} KiB of JavaScript in ${jsFiles.length} files).`,
  ].join('\n');
}
