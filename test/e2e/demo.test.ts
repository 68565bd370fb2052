// `npm run demo` as a new user runs it: the built CLI, no configuration, nothing left behind.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { runBarkeep } from '../support/cli.ts';

function leftovers(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('barkeep-demo-'));
}

describe('barkeep demo', () => {
  it('starts a cluster, checks it, archives WAL and tears everything down', async () => {
    const before = new Set(leftovers());
    const run = await runBarkeep(['demo'], { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    for (const step of [
      '==> Starting a throwaway PostgreSQL cluster that archives through barkeep put-wal',
      '==> Writing the barkeep configuration',
      '$ barkeep switch-wal --archive demo',
      'barkeep_receiver_state{server="demo",state="running"} 1',
      ', archived',
      ': identical to pg_wal/',
      '$ barkeep check demo',
      'PostgreSQL: OK',
      'WAL archive: OK',
      'systemid coherence: OK',
      'the recovered cluster holds 30000 rows in demo_rows (expected 30000)',
      'Includes the streaming 0000000',
      'the recovered cluster holds 10777 rows (expected 10777)',
      '==> Tearing everything down',
      'Demo complete: WAL archived and streamed, backed up, recovered to a restore point and to the last streamed commit, every check passed.',
    ]) {
      assert.ok(run.stdout.includes(step), `missing '${step}' in:\n${run.stdout}`);
    }
    assert.deepEqual(
      leftovers().filter((name) => !before.has(name)),
      [],
    );
  });

  it('tears down when interrupted with SIGINT', async () => {
    const before = new Set(leftovers());
    const run = await runBarkeep(['demo'], {
      timeoutMs: 120_000,
      interruptWhenOutput: 'Writing the barkeep configuration',
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stdout, /==> Tearing everything down/);
    assert.deepEqual(
      leftovers().filter((name) => !before.has(name)),
      [],
    );
  });
});
