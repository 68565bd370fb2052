import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { installCliForOsUser, runBarkeep } from '../support/cli.ts';
import { lookupOsUser } from '../support/cluster.ts';

const runningAsRoot = process.getuid?.() === 0;

describe('CLI test helpers', () => {
  it('runs the built CLI from the repository', async () => {
    const result = await runBarkeep(['--version']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^barkeep \S+\n$/);
  });

  it('installs a copy the postgres account can run, once per process', {
    skip: runningAsRoot
      ? false
      : 'copying the CLI for the postgres account needs root (CI runs as root)',
  }, async () => {
    const launcher = installCliForOsUser();
    assert.equal(installCliForOsUser(), launcher);
    assert.equal(statSync(launcher).mode & 0o755, 0o755);
    assert.equal(statSync(dirname(launcher)).mode & 0o777, 0o755);
    const user = lookupOsUser('postgres');
    const direct = spawnSync(launcher, ['--version'], {
      encoding: 'utf8',
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
    });
    assert.equal(direct.status, 0, direct.stderr);
    assert.match(direct.stdout, /^barkeep /);
    const viaHelper = await runBarkeep(['--version'], { asOsUser: 'postgres' });
    assert.equal(viaHelper.code, 0, viaHelper.stderr);
    assert.equal(viaHelper.stdout, direct.stdout);
  });

  it('kills a run that outlives its timeout', async () => {
    // A preloaded module that sleeps 5 s stands in for a hanging command.
    const sleeper = 'data:text/javascript,await%20new%20Promise((r)=>setTimeout(r,5000))';
    const started = Date.now();
    await assert.rejects(
      runBarkeep(['--version'], { env: { NODE_OPTIONS: `--import=${sleeper}` }, timeoutMs: 300 }),
      /timed out after 300 ms/,
    );
    assert.ok(Date.now() - started < 4000);
  });
});
