// The benchmark suite in its quick mode, so that it never rots: every script runs to its end and
// prints its tables (how fast is for `npm run bench` on a quiet machine, never for a test).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureBuilt, repoRoot } from '../support/cli.ts';

const missing = existsSync('/usr/bin/time')
  ? undefined
  : 'GNU time is not installed (.ci/run installs it)';

describe('npm run bench -- --quick', { skip: missing ?? false }, () => {
  it('runs every benchmark and prints its table', { timeout: 15 * 60_000 }, async () => {
    ensureBuilt();
    const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot, 'bench', 'run.mjs'), '--quick'], {
        cwd: repoRoot,
        // No apt-get from a test: peers that are missing are left out of the tables.
        env: { ...process.env, BENCH_NO_INSTALL: '1', NODE_V8_COVERAGE: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (chunk) => {
        text += chunk;
      });
      child.stderr.on('data', (chunk) => {
        text += chunk;
      });
      child.once('exit', (code) => resolve({ code, text }));
    });
    assert.equal(output.code, 0, output.text.slice(-3000));
    for (const table of [
      /\| barkeep --version \|/,
      /\| barkeep put-wal zstd \|/,
      /\| barkeep backup plain \|/,
      /\| barkeep recover \|/,
      /\| barkeep first \|/,
      /\| barkeep receive-wal \|/,
      /\| list-backups, large \|/,
    ])
      assert.match(output.text, table);
  });
});
