import { readFile } from 'node:fs/promises';
import { parseSshOptions, type RsyncHost, withOptions } from './rsync-host.ts';

/** The AES-GCM ciphers, fastest first: with the CPU's AES instructions the cheapest OpenSSH has. */
const AES_GCM = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];

/**
 * The ssh host for the copy of a backup, with the AES-GCM ciphers first in its cipher
 * preference when that costs the user nothing: copying a cluster is bound by the encryption of
 * ssh on both hosts, and OpenSSH's default first choice (chacha20-poly1305) costs about 15 %
 * more CPU per byte than AES-GCM on a CPU with AES instructions. The list is the one ssh would
 * use for this destination (`settings`: see sshSettings, ssh_config applied), only reordered: no
 * cipher is added, so a restriction in ssh_config still holds, and the server's own list still
 * decides. Nothing changes when ssh_command names ciphers itself (`-c`, `-o Ciphers=`), when the
 * CPU here has no AES instructions, when the list has no AES-GCM cipher, or without `settings`
 * (another ssh program): the host is returned as it was.
 */
export async function withFastCiphers(
  host: RsyncHost,
  settings: string | undefined,
  cpuinfo = '/proc/cpuinfo',
): Promise<RsyncHost> {
  if (host.kind !== 'ssh' || settings === undefined || namesCiphers(host.shell)) return host;
  if (!(await cpuHasAes(cpuinfo))) return host;
  const line = settings.split('\n').find((text) => text.startsWith('ciphers '));
  const ciphers = line?.slice('ciphers '.length).trim().split(',') ?? [];
  const reordered = reorderCiphers(ciphers);
  if (reordered === undefined) return host;
  return withOptions(host, ['-o', `Ciphers=${reordered.join(',')}`]);
}

/**
 * `ciphers` with its AES-GCM ciphers moved to the front (in AES_GCM's order), the others after
 * in their order; undefined when there is none to move or they are first already.
 */
export function reorderCiphers(ciphers: readonly string[]): string[] | undefined {
  const first = AES_GCM.filter((name) => ciphers.includes(name));
  if (first.length === 0) return undefined;
  const reordered = [...first, ...ciphers.filter((name) => !first.includes(name))];
  return reordered.every((name, index) => name === ciphers[index]) ? undefined : reordered;
}

/** Whether ssh's options already choose the ciphers (`-c LIST`, `-o Ciphers=...`). */
function namesCiphers(shell: readonly string[]): boolean {
  return parseSshOptions(shell).options.some(
    ({ flag, argument }) => flag === 'c' || (flag === 'o' && /^\s*ciphers\b/i.test(argument ?? '')),
  );
}

/** Whether this machine's CPU has AES instructions (x86 `aes`, Arm `aes` in its features). */
async function cpuHasAes(cpuinfo: string): Promise<boolean> {
  const text = await readFile(cpuinfo, 'utf8').catch(() => '');
  return /^(flags|features)\s*:.*\baes\b/im.test(text);
}
