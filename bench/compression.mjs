// Milliseconds per 16 MiB WAL segment for each compression format and level, compressing and
// decompressing through barkeep's buffer API, with the size ratio; used to choose the defaults.
// Usage: node --import tsx bench/compression.mjs [DIR]
//   DIR: completed WAL segments to use; without it, a throwaway cluster generates a few.
// RUNS (default 3) repeats every measurement; the table shows medians over segments and runs.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressBuffer, decompressBuffer } from '../src/compression/compress-buffer.ts';

const runs = Number(process.env.RUNS ?? 3);
const variants = [
  ['gzip', 1],
  ['gzip', 6],
  ['zstd', 1],
  ['zstd', 3],
  ['zstd', 4],
  ['lz4', undefined],
];

async function generateSegments(directory) {
  const { startThrowawayCluster } = await import('../src/sandbox/throwaway-cluster.ts');
  const cluster = await startThrowawayCluster({
    label: 'bench-wal',
    settings: { wal_keep_size: '1GB', max_wal_size: '1GB' },
  });
  try {
    await cluster.query('CREATE TABLE accounts (id bigint primary key, balance bigint, note text)');
    await cluster.query(
      "INSERT INTO accounts SELECT g, 0, 'account ' || g FROM generate_series(1, 300000) g",
    );
    await cluster.query('CHECKPOINT');
    for (let round = 0; round < 20; round++) {
      await cluster.query(`UPDATE accounts SET balance = balance + 1 WHERE id % 20 = ${round}`);
    }
    const [{ current }] = await cluster.query(
      'SELECT pg_walfile_name(pg_current_wal_lsn()) AS current',
    );
    await cluster.query('SELECT pg_switch_wal()');
    const walDirectory = join(cluster.dataDir, 'pg_wal');
    for (const name of readdirSync(walDirectory).sort()) {
      if (/^[0-9A-F]{24}$/.test(name) && name < current) {
        writeFileSync(join(directory, name), readFileSync(join(walDirectory, name)));
      }
    }
  } finally {
    await cluster.stop();
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

let directory = process.argv[2];
let generated;
if (directory === undefined) {
  generated = mkdtempSync(join(tmpdir(), 'barkeep-bench-wal-'));
  directory = generated;
  await generateSegments(directory);
}
const segments = readdirSync(directory)
  .filter((name) => /^[0-9A-F]{24}$/.test(name))
  .sort()
  .map((name) => readFileSync(join(directory, name)));
if (segments.length === 0) throw new Error(`no WAL segments in ${directory}`);

console.log(
  `compression of ${segments.length} WAL segments, ${runs} runs, node ${process.version}`,
);
console.log('format  level  compress ms  decompress ms  stored/original');
for (const [format, level] of variants) {
  await decompressBuffer(await compressBuffer(format, segments[0], level)); // load and warm up
  const compressMs = [];
  const decompressMs = [];
  const ratios = [];
  for (let run = 0; run < runs; run++) {
    for (const segment of segments) {
      let start = performance.now();
      const stored = await compressBuffer(format, segment, level);
      compressMs.push(performance.now() - start);
      start = performance.now();
      const restored = await decompressBuffer(stored);
      decompressMs.push(performance.now() - start);
      if (!restored.equals(segment)) throw new Error(`${format} ${level}: round trip differs`);
      ratios.push(stored.length / segment.length);
    }
  }
  console.log(
    `${format.padEnd(6)}  ${String(level ?? '-').padStart(5)}  ${median(compressMs).toFixed(1).padStart(11)}` +
      `  ${median(decompressMs).toFixed(1).padStart(13)}  ${median(ratios).toFixed(3).padStart(15)}`,
  );
}
if (generated !== undefined) rmSync(generated, { recursive: true, force: true });
