import { homedir } from 'node:os';
import pg from 'pg';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { describeConnectFailure, isServerError, MissingPasswordError } from './connect-failure.ts';
import { type ConnectionParams, defaultSocketDirectory, parseConninfo } from './conninfo.ts';
import { lookupPgpass } from './pgpass.ts';
import { redactConninfo } from './redact-conninfo.ts';
import { ReusedBufferSocket } from './reused-buffer-socket.ts';
import { planTls, type TlsChoice, TlsSetupError } from './tls-options.ts';

export { type QueryRow, runQuery } from './run-query.ts';

/** A connected PostgreSQL client (node-postgres). */
export type PgClient = pg.Client;

/** Options of {@link openConnection}. */
export interface OpenConnectionOptions {
  /** Sent as application_name unless the conninfo (or PGAPPNAME) sets one. */
  readonly applicationName?: string;
  /** Open a physical replication connection (walsender): simple queries only. */
  readonly replication?: boolean;
  /** Environment for the PG* variables and $HOME (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Connect timeout when the conninfo and PGCONNECT_TIMEOUT set none; default: wait forever. */
  readonly timeoutMs?: number;
}

/**
 * Opens a connection to PostgreSQL from a libpq connection string, with libpq's semantics where
 * node-postgres has none: PG* environment defaults, the password from the string, PGPASSWORD or
 * the password file (read only when the server asks), `sslmode` including `allow`/`prefer`
 * fallbacks (tried again with/without TLS when the server refuses TLS or pg_hba.conf rejects the
 * first attempt), certificates read from files, Unix sockets, connect timeout. This module is the
 * only one that loads `pg`, so commands that never connect do not pay for it.
 *
 * The returned client has an `error` listener so that a connection dropped while idle does not
 * crash the process; the next query then fails. Call `end()` when done.
 *
 * @throws BarkeepError `configInvalidValue` for a malformed conninfo, `postgresConnection` when
 * the server cannot be reached or refuses us; the message shows the conninfo with its password
 * masked and a readable reason.
 */
export async function openConnection(
  conninfo: string,
  options: OpenConnectionOptions = {},
): Promise<pg.Client> {
  const env = options.env ?? process.env;
  const params = parseConninfo(conninfo, { env, replication: options.replication ?? false });
  const subject = redactConninfo(conninfo);
  const timeoutMs =
    params.connect_timeout === undefined ? options.timeoutMs : params.connect_timeout * 1000;
  const state: { passwordFrom?: string } = {};
  const fail = (error: unknown): BarkeepError =>
    new BarkeepError('postgresConnection', {
      what: 'cannot connect to PostgreSQL',
      subject,
      why: describeConnectFailure(error, {
        host: params.host,
        port: params.port,
        user: params.user,
        sslmode: params.sslmode,
        ...(timeoutMs === undefined ? {} : { timeoutSeconds: Math.round(timeoutMs / 100) / 10 }),
        ...(state.passwordFrom === undefined ? {} : { passwordFrom: state.passwordFrom }),
      }),
      cause: error,
    });

  let plan: Awaited<ReturnType<typeof planTls>>;
  try {
    plan = await planTls(params, env['HOME'] || homedir());
  } catch (error) {
    if (error instanceof TlsSetupError) throw fail(error);
    throw error;
  }
  const sslnegotiation = params.extra['sslnegotiation'] ?? 'postgres';
  if (sslnegotiation !== 'postgres' && sslnegotiation !== 'direct') {
    throw fail(new Error(`invalid sslnegotiation value "${sslnegotiation}"`));
  }
  if (sslnegotiation === 'direct' && (plan.first === false || plan.fallback !== undefined)) {
    throw fail(
      new Error(
        `sslnegotiation=direct needs sslmode require, verify-ca or verify-full, not ${params.sslmode}`,
      ),
    );
  }
  const password = async (): Promise<string> => {
    if (params.password !== undefined) {
      state.passwordFrom = 'the conninfo or PGPASSWORD';
      return params.password;
    }
    const target = {
      host: params.host,
      port: params.port,
      dbname: params.dbname,
      user: params.user,
    };
    const found = await lookupPgpass(params.passfile, target, {
      defaultSocketDir: defaultSocketDirectory(),
    });
    if (found.password === undefined)
      throw new MissingPasswordError(params.passfile, found.warning);
    state.passwordFrom = `"${params.passfile}"`;
    return found.password;
  };
  const attempt = (ssl: TlsChoice): Promise<pg.Client> =>
    connectOnce(clientConfig(params, ssl, sslnegotiation, password, options, timeoutMs));

  try {
    return await attempt(plan.first);
  } catch (error) {
    if (plan.fallback === undefined || !refusedEncryptionChoice(error, plan.first))
      throw fail(error);
    try {
      return await attempt(plan.fallback);
    } catch (second) {
      throw fail(second);
    }
  }
}

/**
 * Whether libpq would try the other encryption choice after this failure: the server refused
 * TLS, the TLS handshake failed (prefer), or pg_hba.conf rejected the attempt (SQLSTATE 28000,
 * e.g. a `hostssl` or `hostnossl` rule). A wrong password (28P01) is not retried.
 */
function refusedEncryptionChoice(error: unknown, first: TlsChoice): boolean {
  if (isServerError(error)) return (error as { code: string }).code === '28000';
  if (first === false || !(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.message === 'The server does not support SSL connections' ||
    (typeof code === 'string' && /^ERR_(SSL|TLS)_/.test(code))
  );
}

function clientConfig(
  params: ConnectionParams,
  ssl: TlsChoice,
  sslnegotiation: 'postgres' | 'direct',
  password: () => Promise<string>,
  options: OpenConnectionOptions,
  timeoutMs: number | undefined,
): pg.ClientConfig {
  const applicationName =
    params.application_name ?? params.fallback_application_name ?? options.applicationName;
  const keepalivesIdle = Number.parseInt(params.extra['keepalives_idle'] ?? '', 10);
  const config: pg.ClientConfig & { replication?: string } = {
    host: params.host,
    port: params.port,
    user: params.user,
    database: params.dbname,
    password,
    ssl,
    sslnegotiation,
    keepAlive: params.extra['keepalives'] !== '0',
    ...(keepalivesIdle > 0 ? { keepAliveInitialDelayMillis: keepalivesIdle * 1000 } : {}),
    ...(applicationName === undefined ? {} : { application_name: applicationName }),
    ...(params.options === undefined ? {} : { options: params.options }),
    ...(params.replication === undefined ? {} : { replication: params.replication }),
    ...(timeoutMs === undefined || timeoutMs <= 0 ? {} : { connectionTimeoutMillis: timeoutMs }),
    // Replication connections carry backups and WAL: read into one reused buffer (not with TLS).
    ...(options.replication && ssl === false ? { stream: () => new ReusedBufferSocket() } : {}),
  };
  return config;
}

async function connectOnce(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(config);
  client.on('error', () => {
    // A connection lost while idle: the next query reports it; it must not crash the process.
  });
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.connection.stream.destroy();
    throw error;
  }
}
