import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type RsyncHost,
  runOnHost,
  sshSettings,
  withOptions,
} from '../../src/backup/rsync-host.ts';
import { openBackupSsh } from '../../src/backup/ssh-connection-sharing.ts';
import { madeUpSshHost, testSshdHost } from '../support/ssh-host.ts';
import { sshdUnavailableReason, startTestSshd, type TestSshd } from '../support/sshd.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-ssh-sharing-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The ControlPath a shared host was given. */
function controlPath(host: RsyncHost): string | undefined {
  if (host.kind !== 'ssh') return undefined;
  const option = host.shell.find((word) => word.startsWith('ControlPath='));
  return option?.slice('ControlPath='.length);
}

/** Waits (up to 3 s) until no ssh master using a socket in `directory` runs (its title names the socket); fails after. */
async function waitForNoMaster(directory: string): Promise<void> {
  for (let waited = 0; ; waited += 50) {
    const found = spawnSync('pgrep', ['-f', `${directory}/`], { encoding: 'utf8' });
    if (found.stdout.trim() === '') return;
    assert.ok(waited < 3000, `the ssh master is still running after close(): ${found.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('withOptions', () => {
  it('adds options before the destination, to the words and to the shell command alike', () => {
    const host = withOptions(madeUpSshHost('-p', '2222'), ['-o', 'ControlPath=/tmp/a b/%C']);
    assert.deepEqual(host.shell, ['ssh', '-p', '2222', '-o', 'ControlPath=/tmp/a b/%C']);
    // The shell command is the same words, each quoted for /bin/sh.
    const words = spawnSync('/bin/sh', ['-c', `printf '%s\\n' ${host.sshCommand}`], {
      encoding: 'utf8',
    }).stdout;
    assert.deepEqual(words.trim().split('\n'), [...host.shell, 'postgres@pg.invalid']);
    // After `--` ssh reads no option: they go before it.
    const ended = withOptions(madeUpSshHost('-p', '2222', '--'), ['-o', 'ControlMaster=auto']);
    assert.deepEqual(ended.shell, ['ssh', '-p', '2222', '-o', 'ControlMaster=auto', '--']);
  });
});

describe('openBackupSsh', () => {
  it('shares nothing for local-rsync, when ssh_command sets up sharing itself, or for another ssh program', async () => {
    const local: RsyncHost = { kind: 'local' };
    for (const host of [
      local,
      madeUpSshHost('-S', '/tmp/mine'),
      madeUpSshHost('-o', 'ControlMaster=no'),
      madeUpSshHost('-oControlPath=/tmp/mine'),
      { ...madeUpSshHost(), shell: ['/bin/false'] },
    ]) {
      const ssh = await openBackupSsh(host, await sshSettings(host));
      assert.equal(ssh.shared, host);
      assert.equal(ssh.direct, host);
      await ssh.close();
    }
  });

  const missing = sshdUnavailableReason();
  describe('against a real sshd', { skip: missing ?? false }, () => {
    let sshd: TestSshd;
    before(async () => {
      sshd = await startTestSshd();
    });
    after(async () => {
      await sshd?.stop();
    });

    it('shares nothing when TMPDIR is missing or too long for a socket path', async () => {
      const host = testSshdHost(sshd);
      const saved = process.env.TMPDIR;
      const long = join(scratch, 'x'.repeat(70));
      mkdirSync(long, { recursive: true });
      try {
        for (const tmp of [join(scratch, 'missing'), long]) {
          process.env.TMPDIR = tmp;
          const ssh = await openBackupSsh(host, await sshSettings(host));
          assert.equal(ssh.shared, host, tmp);
          await ssh.close();
        }
        assert.deepEqual(readdirSync(long), [], 'a directory was left in the long TMPDIR');
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
    });

    for (const closing of [[], ['--']]) {
      it(`runs commands over one master connection in a private directory, ended by close()${closing.length ? ' (ssh_command ending with --)' : ''}`, async () => {
        const sshdHost = testSshdHost(sshd);
        const host = { ...sshdHost, shell: [...sshdHost.shell, ...closing] };
        const ssh = await openBackupSsh(host, await sshSettings(host));
        assert.equal(ssh.direct, host, 'the bulk copies must keep connections of their own');
        const path = controlPath(ssh.shared);
        assert.ok(path, 'no ControlPath on the shared host');
        const directory = dirname(path);
        const first = await runOnHost(ssh.shared, ['echo', 'one']);
        assert.equal(first.status, 0, first.stderr);
        assert.equal(first.stdout.toString(), 'one\n');
        assert.equal(readdirSync(directory).length, 1, 'no master socket after the first command');
        const second = await runOnHost(ssh.shared, ['echo', 'two']);
        assert.equal(second.stdout.toString(), 'two\n');
        await ssh.close();
        assert.equal(existsSync(directory), false, 'the socket directory was left behind');
        await waitForNoMaster(directory);
      });
    }
  });
});
