import { type ArchiverStats, readArchiverStats } from './archiver-stats.ts';
import { openConnection } from './connect.ts';
import { type ReplicationView, readReplicationView } from './replication-view.ts';
import { readServerFacts, type ServerFacts } from './server-facts.ts';

/** What one probe of a server learns: its facts and its archiver's state. */
export interface ServerProbe {
  readonly facts: ServerFacts;
  readonly archiver: ArchiverStats;
  readonly replication: ReplicationView;
}

/**
 * Connects with `conninfo` (a normal connection, application_name `barkeep`), reads the facts
 * the archiver statistics and the replication picture the checks need, and disconnects.
 */
export async function probeServer(conninfo: string, env?: NodeJS.ProcessEnv): Promise<ServerProbe> {
  const client = await openConnection(conninfo, {
    applicationName: 'barkeep',
    timeoutMs: 10_000,
    ...(env ? { env } : {}),
  });
  try {
    return {
      facts: await readServerFacts(client),
      archiver: await readArchiverStats(client),
      replication: await readReplicationView(client),
    };
  } finally {
    await client.end();
  }
}
