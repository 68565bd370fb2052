// Runs every benchmark of the suite, one process each, and prints their tables.
// Usage: npm run bench [-- --quick]   (`--quick`: each briefly; CI runs it so the suite never rots)
// Each script also runs alone: node bench/<name>.mjs [--quick]; see bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const root = fileURLToPath(new URL('..', import.meta.url));
const versions = spawnSync('/usr/lib/postgresql/15/bin/postgres', ['--version'], {
  encoding: 'utf8',
}).stdout.trim();
console.log(`barkeep benchmarks${quick ? ' (quick)' : ''}, ${new Date().toISOString()}`);
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${release()}; node ${process.version}; ${versions}\n`,
);
if (!existsSync(`${root}dist/barkeep.js`)) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}
const scripts = ['startup', 'put-wal', 'backup', 'rsync-backup', 'streaming', 'scale'];
let failed = 0;
for (const name of scripts) {
  const script = `${root}bench/${name}.mjs`;
  if (!existsSync(script)) continue;
  const run = spawnSync(process.execPath, [script, ...(quick ? ['--quick'] : [])], {
    cwd: root,
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    failed++;
    console.error(`bench/${name}.mjs exited ${run.status ?? run.signal}`);
  }
  console.log();
}
process.exitCode = failed > 0 ? 1 : 0;
