// RsyncHost values for tests: a made-up host for option checks, and the host of a test sshd.
import type { RsyncHost } from '../../src/backup/rsync-host.ts';
import type { TestSshd } from './sshd.ts';

type SshHost = Extract<RsyncHost, { kind: 'ssh' }>;

/** `ssh OPTIONS postgres@pg.invalid` (never connected to: for option handling and `ssh -G`). */
export function madeUpSshHost(...options: string[]): SshHost {
  const shell = ['ssh', ...options];
  return {
    kind: 'ssh',
    sshCommand: [...shell, 'postgres@pg.invalid'].join(' '),
    shell,
    destination: 'postgres@pg.invalid',
  };
}

/** The host a test sshd's ssh_command reaches (its words split as resolveRsyncHost does). */
export function testSshdHost(sshd: TestSshd): SshHost {
  const words = sshd.sshCommand.split(' ');
  return {
    kind: 'ssh',
    sshCommand: sshd.sshCommand,
    shell: words.slice(0, -1),
    destination: words.at(-1)!,
  };
}
