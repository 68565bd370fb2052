// The benchmark suite in its quick mode, so that it never rots: every script runs to its end and
// prints its tables (how fast is for `npm run bench` on a quiet machine, never for a test).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureBuilt, repoRoot } from '../support/cli.ts';

const missing = existsSync('/usr/bin/time')
  ? undefined
  : 'GNU time is not installed (.ci/run installs it)';

/** Whether a peer's program is on PATH (the quick suite never installs one). */
function installed(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

describe('npm run bench -- --quick', { skip: missing ?? false }, () => {
  // About 2 minutes on 2 quiet cores; the timeout leaves room for a loaded machine.
  it('runs every benchmark and prints its table', { timeout: 6 * 60_000 }, async () => {
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
      /\| barkeep backup zstd \|/,
      /### Recover of a full plain backup/,
      /\| barkeep recover \|/,
      /\| barkeep recover --get-wal \|/,
      /\| barkeep first \|/,
      /\| barkeep receive-wal \|/,
      /\| get-wal, large \|/,
      /\| list-backups, large \|/,
      /\| archive-wal of one segment, large \|/,
      // The peers' rows, when they are installed; else a note says they are left out.
      installed('pgbackrest')
        ? /\| pgbackrest full, none, process-max=2 \|[^\n]*\n[\s\S]*\| pgbackrest restore/
        : /pgBackRest is not installed/,
      installed('barman')
        ? /\| barman backup \(postgres method\) \|[\s\S]*\| barman recover \|/
        : /Barman is not installed/,
    ])
      assert.match(output.text, table);
    assert.doesNotMatch(output.text, /bench\/[\w-]+\.mjs exited/);
  });
});
