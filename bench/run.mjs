// Runs every benchmark of the suite. `--quick` runs each briefly (CI uses it to keep them working).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
console.log(
  `barkeep benchmarks${quick ? ' (quick)' : ''}, ${new Date().toISOString()}, node ${process.version}\n`,
);
const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}dist/barkeep.js`)) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}
await import('./startup.mjs');
console.log();
await import('./put-wal.mjs');
