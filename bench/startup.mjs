// Start-up cost: `barkeep --version` and `barkeep --help` against `node -e 0`, the floor.
// Each variant runs RUNS times in rotated order; prints medians, min-max and the ratio to node.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printTable } from './stats.mjs';

const runs = Number(process.env.RUNS ?? (process.argv.includes('--quick') ? 5 : 30));
const bundle = fileURLToPath(new URL('../dist/barkeep.js', import.meta.url));

const variants = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'barkeep --version', args: [bundle, '--version'] },
  { name: 'barkeep --help', args: [bundle, '--help'] },
];

function timeOnce(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

const samples = new Map(variants.map((variant) => [variant.name, []]));
for (let run = 0; run < runs; run++) {
  for (let i = 0; i < variants.length; i++) {
    const variant = variants[(run + i) % variants.length];
    samples.get(variant.name).push(timeOnce(variant.args));
  }
}
export const table = printTable(
  'Start-up (goal: barkeep --version <= 2x node -e 0)',
  variants.map((variant) => ({ name: variant.name, samples: samples.get(variant.name) })),
  'node -e 0',
);
