import { BarkeepError } from '../errors/barkeep-error.ts';
import { openConnection } from './connect.ts';
import { runQuery } from './run-query.ts';

/** The answer to the replication command IDENTIFY_SYSTEM. */
export interface SystemIdentity {
  readonly systemIdentifier: string;
  readonly timeline: number;
  /** The current WAL flush location, as PostgreSQL prints it (`0/16B3748`). */
  readonly xlogpos: string;
}

/**
 * Opens a physical replication connection and runs IDENTIFY_SYSTEM: proves that streaming
 * connections are allowed (pg_hba.conf `replication` entry, REPLICATION attribute, a free WAL
 * sender) and tells which cluster answers.
 */
export async function identifySystem(
  conninfo: string,
  options: { env?: NodeJS.ProcessEnv; applicationName?: string } = {},
): Promise<SystemIdentity> {
  const client = await openConnection(conninfo, {
    replication: true,
    applicationName: options.applicationName ?? 'barkeep',
    ...(options.env ? { env: options.env } : {}),
    timeoutMs: 10_000,
  });
  try {
    const [row] = await runQuery<{ systemid: string; timeline: string | number; xlogpos: string }>(
      client,
      'IDENTIFY_SYSTEM',
    );
    if (!row) {
      throw new BarkeepError('postgresQuery', {
        what: 'unexpected answer to IDENTIFY_SYSTEM',
        subject: 'replication connection',
        why: 'the server returned no row',
      });
    }
    return {
      systemIdentifier: String(row.systemid),
      timeline: Number(row.timeline),
      xlogpos: String(row.xlogpos),
    };
  } finally {
    await client.end();
  }
}
