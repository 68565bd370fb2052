/** The connection attempt a failure is described for. */
export interface ConnectAttempt {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly sslmode: string;
  /** The connect timeout in force, in seconds. */
  readonly timeoutSeconds?: number;
  /** Where the password came from, when one was sent. */
  readonly passwordFrom?: string;
}

/**
 * Thrown by barkeep's password callback when the server asks for a password and neither the
 * connection string, PGPASSWORD nor the password file has one.
 */
export class MissingPasswordError extends Error {
  override name = 'MissingPasswordError';
  /** Why the password file was not used, when it was ignored. */
  readonly pgpassWarning: string | undefined;

  constructor(passfile: string, pgpassWarning?: string) {
    super(
      `the server asked for a password but none was found (not in the conninfo, PGPASSWORD or "${passfile}")`,
    );
    this.pgpassWarning = pgpassWarning;
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

const SOCKET_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no server socket at',
  ECONNREFUSED: 'connection refused on socket',
  EACCES: 'permission denied on socket',
};

const TCP_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused at',
  ETIMEDOUT: 'timeout connecting to',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable for',
  ECONNRESET: 'connection reset by',
};

/**
 * Turns whatever a connection attempt failed with (a server ErrorResponse, a socket error, a TLS
 * error, pg's timeout) into one readable sentence for the `why` of a `postgresConnection` error,
 * e.g. `connection refused at 127.0.0.1:5432` or `password authentication failed for user "x"`.
 * Never includes a password: server messages and Node's do not carry one, and nothing else is
 * added but the host, port, user and file names.
 */
export function describeConnectFailure(error: unknown, attempt: ConnectAttempt): string {
  if (error instanceof MissingPasswordError) {
    return error.pgpassWarning ? `${error.message}; ${error.pgpassWarning}` : error.message;
  }
  const { code, message } = errorFields(error);
  if (code !== undefined && SQLSTATE.test(code) && isServerError(error)) {
    const from =
      code === '28P01' && attempt.passwordFrom ? ` (password from ${attempt.passwordFrom})` : '';
    return `${message}${from}`;
  }
  const isSocket = attempt.host.startsWith('/');
  const where = isSocket ? `"${attempt.host}/.s.PGSQL.${attempt.port}"` : hostPort(attempt);
  if (code !== undefined) {
    const reason = (isSocket ? SOCKET_REASONS : TCP_REASONS)[code];
    if (reason !== undefined) return `${reason} ${where}`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
      return `cannot resolve host name "${attempt.host}"`;
    }
    if (/CERT|SIGNATURE|ISSUER|ALTNAME/.test(code)) {
      return `the server's certificate was not accepted (sslmode=${attempt.sslmode}): ${message}`;
    }
    if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) {
      return `TLS negotiation with ${where} failed: ${message}`;
    }
  }
  if (message === 'timeout expired') {
    const after = attempt.timeoutSeconds === undefined ? '' : ` after ${attempt.timeoutSeconds} s`;
    return `timeout${after} connecting to ${where}`;
  }
  if (message === 'The server does not support SSL connections') {
    return `the server at ${where} does not accept TLS connections, and sslmode=${attempt.sslmode} requires TLS`;
  }
  if (/^Connection terminated/.test(message)) {
    return `the server at ${where} closed the connection unexpectedly`;
  }
  if (message.startsWith('SASL:')) return `SCRAM authentication failed: ${message.slice(5).trim()}`;
  return message === '' ? `unknown error connecting to ${where}` : message;
}

/**
 * True when `error` is an ErrorResponse that PostgreSQL sent (pg's DatabaseError), as opposed to a
 * local failure; exported for the retry logic of sslmode `allow`/`prefer`.
 */
export function isServerError(error: unknown): boolean {
  return (
    error instanceof Error &&
    'severity' in error &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

function errorFields(error: unknown): { code: string | undefined; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : undefined, message: error.message };
  }
  return { code: undefined, message: String(error) };
}

function hostPort(attempt: ConnectAttempt): string {
  const host = attempt.host.includes(':') ? `[${attempt.host}]` : attempt.host;
  return `${host}:${attempt.port}`;
}
