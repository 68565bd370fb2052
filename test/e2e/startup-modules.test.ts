// What the built CLI loads at start: a command that connects to PostgreSQL must not pull in
// Node's fetch implementation (undici), which pg's runtime probe used to load (27 ms per start).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runBarkeep } from '../support/cli.ts';

describe('the built CLI at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'barkeep-startup-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('connects to PostgreSQL without loading undici', async () => {
    const config = join(dir, 'barkeep.conf');
    writeFileSync(
      config,
      [
        '[barkeep]',
        `barman_home = ${join(dir, 'home')}`,
        '',
        '[pg]',
        // Nothing listens on port 1: the connection is refused at once, after pg was loaded.
        'conninfo = host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=2',
        'archiver = on',
        '',
      ].join('\n'),
    );
    const loaded = join(dir, 'loaded.json');
    const preload = join(dir, 'report-modules.cjs');
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(process.moduleLoadList)));\n`,
    );
    const run = await runBarkeep(['-c', config, 'check', 'pg'], {
      env: { NODE_OPTIONS: `--require ${preload}` },
    });
    assert.notEqual(run.code, 0, 'check must fail: nothing listens on port 1');
    assert.match(run.stdout + run.stderr, /PostgreSQL/);
    const modules = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
    assert.ok(
      modules.some((name) => name.includes('net')),
      'the report lists the modules loaded',
    );
    assert.deepEqual(
      modules.filter((name) => name.includes('undici')),
      [],
    );
  });
});
