import type { Client } from 'pg';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { isServerError } from './connect-failure.ts';

/** A row as pg returns it: column name to parsed value. */
export type QueryRow = Record<string, unknown>;

/**
 * Runs one statement and returns its rows, turning failures into barkeep's errors: an error sent
 * by PostgreSQL becomes `postgresQuery` with its message and SQLSTATE (e.g. `permission denied for
 * function pg_switch_wal (SQLSTATE 42501)`); a lost connection becomes `postgresConnection`.
 * Without `values` the simple query protocol is used, the only one a replication connection
 * accepts (`IDENTIFY_SYSTEM`, `TIMELINE_HISTORY`...).
 */
export async function runQuery<Row extends QueryRow = QueryRow>(
  client: Client,
  sql: string,
  values?: readonly unknown[],
): Promise<Row[]> {
  try {
    const result =
      values === undefined
        ? await client.query<Row>(sql)
        : await client.query<Row>(sql, [...values]);
    return result.rows;
  } catch (error) {
    throw queryError(error, sql, client);
  }
}

function queryError(error: unknown, sql: string, client: Client): BarkeepError {
  const message = error instanceof Error ? error.message : String(error);
  if (isServerError(error)) {
    const { code, detail } = error as { code: string; detail?: string };
    const why = `${message}${detail ? ` (${detail.replace(/\.$/, '')})` : ''} (SQLSTATE ${code})`;
    return new BarkeepError('postgresQuery', {
      what: 'query failed',
      subject: brief(sql),
      why,
      cause: error,
    });
  }
  const where = client.host?.startsWith('/')
    ? `${client.host}/.s.PGSQL.${client.port}`
    : `${client.host}:${client.port}`;
  return new BarkeepError('postgresConnection', {
    what: 'lost the connection to PostgreSQL',
    subject: where,
    why: `${message} while running ${brief(sql)}`,
    cause: error,
  });
}

/** The statement shortened to one line for an error message. */
function brief(sql: string): string {
  const line = sql.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
