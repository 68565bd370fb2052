import { readServerIdentity, writeServerIdentity } from '../catalog/server-identity.ts';
import type { ServerLayout } from '../catalog/server-layout.ts';
import { BarkeepError, isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';

/**
 * The system identifier archived WAL must carry: the one the catalog recorded on first contact
 * (`identity.json`). When the catalog never met its server, it is learned now from `conninfo`
 * and recorded, so a catalog is bound to one cluster before it stores any WAL. Without a
 * recorded identity and without a reachable server, archiving is refused rather than guessed:
 * PostgreSQL keeps the WAL and retries.
 */
export async function expectedSystemId(
  layout: ServerLayout,
  conninfo: string | undefined,
  logger: Logger,
): Promise<string> {
  const recorded = await readServerIdentity(layout.identityFile);
  if (recorded) return recorded.systemid;
  const refuse = (why: string) =>
    new BarkeepError('operationFailed', {
      what: 'cannot verify WAL origin',
      subject: layout.server,
      why,
      hint: `Run 'barkeep check ${layout.server}' once with the server up to record its identity.`,
    });
  if (!conninfo) throw refuse('the catalog has no identity.json and conninfo is not set');
  // Loaded only on this rare path: the PostgreSQL driver is not needed to archive a segment.
  const { probeServer } = await import('../postgres/probe-server.ts');
  let facts: Awaited<ReturnType<typeof probeServer>>['facts'];
  try {
    ({ facts } = await probeServer(conninfo));
  } catch (error) {
    if (!isBarkeepError(error)) throw error;
    throw refuse(
      `the catalog has no identity.json and the server cannot be reached (${error.why})`,
    );
  }
  if (!facts.systemIdentifier)
    throw refuse('the server does not tell its system identifier (pg_control_system)');
  const version = String(Math.floor(facts.serverVersionNum / 10000));
  await writeServerIdentity(layout.identityFile, { systemid: facts.systemIdentifier, version });
  logger.info(`recorded system identifier ${facts.systemIdentifier} in ${layout.identityFile}`);
  return facts.systemIdentifier;
}
