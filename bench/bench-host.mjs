// What the benchmark scripts share: the sandbox modules of src/ (loaded through tsx), and the
// postgres OS account commands run as when the benchmarks run as root.
import { spawnSync } from 'node:child_process';
import { register } from 'tsx/esm/api';

/** The sandbox modules: throwaway clusters, the CLI copy any user can run, the cleanup registry. */
export async function loadSandbox() {
  const unregister = register();
  const { startThrowawayCluster } = await import('../src/sandbox/throwaway-cluster.ts');
  const { installCliCopy } = await import('../src/sandbox/install-cli-copy.ts');
  const { sandboxCleanup } = await import('../src/sandbox/cleanup-registry.ts');
  unregister();
  return { startThrowawayCluster, installCliCopy, sandboxCleanup };
}

/** The postgres account ({ name, uid, gid, home }) when we are root, else undefined. */
export function postgresAccount() {
  if (process.getuid?.() !== 0) return undefined;
  const entry = spawnSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' })
    .stdout.trim()
    .split(':');
  return { name: entry[0], uid: Number(entry[2]), gid: Number(entry[3]), home: entry[5] };
}

/** spawn options that run a child as `account` (nothing when undefined). */
export function runAs(account) {
  return account ? { uid: account.uid, gid: account.gid } : {};
}

/** The small environment of a command run as `account`, as PostgreSQL's archiver has it. */
export function accountEnv(account) {
  return { PATH: '/usr/bin:/bin', HOME: account?.home ?? process.env.HOME, LANG: 'C.UTF-8' };
}
