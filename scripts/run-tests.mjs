// Runs the test suite with Node's test runner under c8 (line coverage of src/).
// Usage: node scripts/run-tests.mjs [path-prefix ...]   (default: every test/**/*.test.ts)
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(directory) {
  const found = [];
  for (const name of readdirSync(directory).sort()) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const prefixes = process.argv.slice(2);
const files = findTests('test').filter(
  (file) => prefixes.length === 0 || prefixes.some((prefix) => file.startsWith(prefix)),
);
if (files.length === 0) {
  console.error(`no test files match ${prefixes.join(' ')}`);
  process.exit(2);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  'npx',
  [
    'c8',
    '--reporter=text',
    '--reporter=text-summary',
    '--reporter=html',
    // Coverage of src/ as the in-process tests load it. The end-to-end tests run the bundle in
    // child processes; its coverage is not remapped, because V8 marks a whole lazily compiled
    // bundle as executed and that would overstate what the tests prove.
    '--include=src/**',
    // A private raw-coverage directory, so two runs in one checkout do not wipe each other's.
    `--temp-directory=coverage/tmp-${process.pid}`,
    '--clean',
    'node',
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit' },
);
rmSync(`coverage/tmp-${process.pid}`, { recursive: true, force: true });
process.exit(result.status ?? 1);
