import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type RsyncHost, sshSettings } from '../../src/backup/rsync-host.ts';
import { reorderCiphers, withFastCiphers } from '../../src/backup/ssh-cipher-order.ts';
import { madeUpSshHost } from '../support/ssh-host.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-ssh-cipher-order-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const withAes = join(scratch, 'cpuinfo-aes');
writeFileSync(withAes, 'processor\t: 0\nflags\t\t: fpu sse4_2 aes avx2\n');
const withoutAes = join(scratch, 'cpuinfo-plain');
writeFileSync(withoutAes, 'processor\t: 0\nflags\t\t: fpu sse4_2 avx2 vaes_not\n');

/** The Ciphers list a host's shell ends with, if reordered. */
function ciphersOf(host: RsyncHost): string[] | undefined {
  if (host.kind !== 'ssh') return undefined;
  const option = host.shell.at(-1) ?? '';
  return option.startsWith('Ciphers=') ? option.slice('Ciphers='.length).split(',') : undefined;
}

describe('reorderCiphers', () => {
  it('moves AES-GCM to the front, 128 before 256, the others after in their order', () => {
    assert.deepEqual(
      reorderCiphers([
        'chacha20-poly1305@openssh.com',
        'aes128-ctr',
        'aes256-gcm@openssh.com',
        'aes128-gcm@openssh.com',
      ]),
      [
        'aes128-gcm@openssh.com',
        'aes256-gcm@openssh.com',
        'chacha20-poly1305@openssh.com',
        'aes128-ctr',
      ],
    );
  });

  it('says there is nothing to do without AES-GCM, or when it is first already', () => {
    assert.equal(reorderCiphers(['chacha20-poly1305@openssh.com', 'aes128-ctr']), undefined);
    assert.equal(
      reorderCiphers(['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com']),
      undefined,
    );
  });
});

describe('withFastCiphers', () => {
  it('puts AES-GCM first in the list ssh -G gives for the destination, adding no cipher', async () => {
    const given = madeUpSshHost('-p', '2222', '-o', 'StrictHostKeyChecking=no');
    const host = await withFastCiphers(given, await sshSettings(given), withAes);
    const ciphers = ciphersOf(host);
    assert.ok(ciphers, 'no Ciphers option was added');
    assert.equal(ciphers[0], 'aes128-gcm@openssh.com');
    assert.ok(ciphers.includes('chacha20-poly1305@openssh.com'));
    assert.deepEqual((host as { shell: readonly string[] }).shell.slice(0, 4), [
      'ssh',
      '-p',
      '2222',
      '-o',
    ]);
  });

  it('reads ssh -G for an ssh_command that ends with --', async () => {
    const settings = await sshSettings(madeUpSshHost('-p', '2222', '--'));
    assert.match(settings ?? '', /^port 2222$/m);
  });

  it("keeps to the ciphers the user's ssh_config allows (only their order changes)", async () => {
    const config = join(scratch, 'ssh_config');
    writeFileSync(
      config,
      'Host *\n  Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com\n',
    );
    const given = madeUpSshHost('-F', config);
    const host = await withFastCiphers(given, await sshSettings(given), withAes);
    assert.deepEqual(ciphersOf(host), ['aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com']);
  });

  it('leaves ssh_command alone when it names ciphers itself', async () => {
    for (const options of [
      ['-c', 'chacha20-poly1305@openssh.com'],
      ['-4c', 'chacha20-poly1305@openssh.com'],
      ['-o', 'Ciphers=chacha20-poly1305@openssh.com'],
      ['-oCiphers chacha20-poly1305@openssh.com'],
    ]) {
      const host = madeUpSshHost(...options);
      assert.equal(
        await withFastCiphers(host, await sshSettings(host), withAes),
        host,
        options.join(' '),
      );
    }
  });

  it('leaves it alone without AES instructions, for another ssh program, and for local-rsync', async () => {
    const host = madeUpSshHost('-p', '2222');
    assert.equal(await withFastCiphers(host, await sshSettings(host), withoutAes), host);
    assert.equal(
      await withFastCiphers(host, await sshSettings(host), join(scratch, 'missing')),
      host,
    );
    const other: RsyncHost = { ...host, shell: ['/bin/false'] };
    assert.equal(await withFastCiphers(other, await sshSettings(other), withAes), other);
    const local: RsyncHost = { kind: 'local' };
    assert.equal(await withFastCiphers(local, await sshSettings(local), withAes), local);
  });
});
