// Gives a throwaway cluster a second timeline, the way a failover does: restart it as a standby
// (standby.signal) and promote it with pg_promote().
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookupOsUser, type ThrowawayCluster } from './cluster.ts';

/** Restarts the cluster in standby mode (no primary to follow: it just waits), without promoting. */
export async function restartAsStandby(cluster: ThrowawayCluster): Promise<void> {
  const signal = join(cluster.dataDir, 'standby.signal');
  writeFileSync(signal, '');
  if (process.getuid?.() === 0) {
    const user = lookupOsUser(cluster.osUser);
    chownSync(signal, user.uid, user.gid);
  }
  await cluster.restart();
}

/** Restarts the cluster as a standby and promotes it: its next timeline begins. */
export async function promoteCluster(cluster: ThrowawayCluster): Promise<void> {
  await restartAsStandby(cluster);
  await cluster.query('SELECT pg_promote(true, 60)');
}
