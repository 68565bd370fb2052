import { openConnection } from '../postgres/connect.ts';
import { readServerFacts, type ServerFacts } from '../postgres/server-facts.ts';

/**
 * Connects with `conninfo` (a normal connection, application_name `barkeep`), reads the facts
 * the checks need, and disconnects.
 */
export async function probeServer(conninfo: string, env?: NodeJS.ProcessEnv): Promise<ServerFacts> {
  const client = await openConnection(conninfo, {
    applicationName: 'barkeep',
    timeoutMs: 10_000,
    ...(env ? { env } : {}),
  });
  try {
    return await readServerFacts(client);
  } finally {
    await client.end();
  }
}
