// Runs every benchmark of the suite, one process each, and prints their tables; a full run also
// writes them into bench/README.md, between the `bench:results` markers.
// Usage: npm run bench [-- --quick]   (`--quick`: each briefly; CI runs it so the suite never rots)
// Each script also runs alone: node bench/<name>.mjs [--quick]; see bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const root = fileURLToPath(new URL('..', import.meta.url));
const versionOf = (program, args) =>
  (spawnSync(program, args, { encoding: 'utf8' }).stdout ?? '').trim().split('\n')[0] ||
  `${program}: not installed`;
const versions = [
  versionOf('/usr/lib/postgresql/15/bin/postgres', ['--version']),
  versionOf('pgbackrest', ['version']),
  versionOf('barman', ['--version']).replace(/^(\S+) Barman\b.*/, 'Barman $1'),
].join('; ');
const report = [];
const say = (text) => {
  console.log(text);
  report.push(text);
};
say(`barkeep benchmarks${quick ? ' (quick)' : ''}, ${new Date().toISOString()}`);
say(
  `machine: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${release()}; node ${process.version}; ${versions}\n`,
);
if (!existsSync(`${root}dist/barkeep.js`)) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}
const scripts = ['startup', 'put-wal', 'backup', 'recover', 'rsync-backup', 'streaming', 'scale'];
let failed = 0;
for (const name of scripts) {
  const script = `${root}bench/${name}.mjs`;
  if (!existsSync(script)) continue;
  const run = spawnSync(process.execPath, [script, ...(quick ? ['--quick'] : [])], {
    cwd: root,
    stdio: ['inherit', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  say(run.stdout ?? '');
  if (run.status !== 0) {
    failed++;
    console.error(`bench/${name}.mjs exited ${run.status ?? run.signal}`);
  }
  console.log();
}
if (!quick && failed === 0) {
  const readme = `${root}bench/README.md`;
  const [start, end] = ['<!-- bench:results:start -->', '<!-- bench:results:end -->'];
  const text = readFileSync(readme, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from !== -1 && to > from) {
    // The scripts print markdown tables: they go in as they are.
    const body = `${start}\n\n## Latest \`npm run bench\`\n\n${report.join('\n').trim()}\n\n`;
    writeFileSync(readme, text.slice(0, from) + body + text.slice(to));
    console.log('results written to bench/README.md');
  }
}
process.exitCode = failed > 0 ? 1 : 0;
