import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import {
  type ConnectionParams,
  type HostPort,
  type SslMode,
  sslModes,
} from './connection-params.ts';
import { isLibpqKeyword, libpqKeywords, secretKeywords } from './conninfo-keywords.ts';
import { parseConninfoEntries } from './conninfo-syntax.ts';
import { ConninfoSyntaxError } from './conninfo-syntax-error.ts';
import { redactConninfo } from './redact-conninfo.ts';

export type { ConnectionParams, HostPort, SslMode } from './connection-params.ts';
export { sslModes } from './connection-params.ts';

/** What the defaults depend on, injectable so that tests do not depend on the machine. */
export interface ConninfoContext {
  /** Environment variables (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The operating-system user name (default: the current user's). */
  readonly osUser?: string;
  /** Home directory for `~/.pgpass` (default `$HOME`, else the account's home). */
  readonly homeDir?: string;
  /** Socket directory used when no host is given (default: see {@link defaultSocketDirectory}). */
  readonly defaultSocketDir?: string;
  /** The caller opens a physical replication connection, whatever the string says. */
  readonly replication?: boolean;
}

/**
 * The directory libpq uses for a Unix-socket connection when no host is given: Debian's
 * `/var/run/postgresql` when it exists, otherwise upstream's `/tmp`.
 */
export function defaultSocketDirectory(): string {
  return existsSync('/var/run/postgresql') ? '/var/run/postgresql' : '/tmp';
}

/**
 * Parses a libpq connection string (`key=value` or URI form) and resolves it with libpq's
 * environment variables and defaults. Throws a `configInvalidValue` BarkeepError naming the bad
 * keyword or value; the error shows the string with its password masked.
 */
export function parseConninfo(text: string, context: ConninfoContext = {}): ConnectionParams {
  try {
    return resolve(text, context);
  } catch (error) {
    if (!(error instanceof ConninfoSyntaxError)) throw error;
    throw new BarkeepError('configInvalidValue', {
      what: 'invalid connection string',
      subject: redactConninfo(text),
      why: error.message,
      hint: 'Fix the conninfo; see "Connection Strings" in the libpq documentation.',
    });
  }
}

const REPLICATION_VALUES: Readonly<Record<string, 'true' | 'database' | undefined>> = {
  true: 'true',
  on: 'true',
  yes: 'true',
  '1': 'true',
  database: 'database',
  false: undefined,
  off: undefined,
  no: undefined,
  '0': undefined,
};

const TYPED = new Set([
  'host',
  'port',
  'user',
  'dbname',
  'password',
  'passfile',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslpassword',
  'application_name',
  'fallback_application_name',
  'connect_timeout',
  'options',
  'replication',
]);

function resolve(text: string, context: ConninfoContext): ConnectionParams {
  const { form, entries } = parseConninfoEntries(text);
  const given = new Map<string, string>();
  for (const { keyword, value } of entries) {
    if (!isLibpqKeyword(keyword) || keyword === 'service') throw unknownKeyword(keyword, form);
    given.set(keyword, value);
  }
  const env = context.env ?? process.env;
  /** The string's value (even empty), else the environment's; empty means "use the default". */
  const pick = (keyword: string): string | undefined => {
    const envName = libpqKeywords[keyword];
    const value = given.get(keyword) ?? (envName === undefined ? undefined : env[envName]);
    return value === '' ? undefined : value;
  };

  const socketDir = context.defaultSocketDir ?? defaultSocketDirectory();
  const hosts = resolveHosts(pick('host'), pick('port'), socketDir);
  const user = pick('user') ?? context.osUser ?? osUserName(env);
  const fromString = resolveReplication(given.get('replication'));
  const replication = context.replication ? 'true' : fromString;
  const dbname =
    replication === 'true' ? given.get('dbname') || 'replication' : (pick('dbname') ?? user);
  const sslmode = pick('sslmode') ?? 'prefer';
  if (!(sslModes as readonly string[]).includes(sslmode)) {
    throw new ConninfoSyntaxError(
      `invalid sslmode value "${sslmode}" (use one of ${sslModes.join(', ')})`,
    );
  }
  const homeDir = context.homeDir ?? (env['HOME'] || homedir());
  const extra: Record<string, string> = {};
  for (const [keyword, value] of given) {
    if (!TYPED.has(keyword) && !secretKeywords.has(keyword)) extra[keyword] = value;
  }

  const params: ConnectionParams = {
    host: hosts[0]!.host,
    port: hosts[0]!.port,
    hosts,
    user,
    dbname,
    passfile: pick('passfile') ?? join(homeDir, '.pgpass'),
    sslmode: sslmode as SslMode,
    ...optional('sslrootcert', pick('sslrootcert')),
    ...optional('sslcert', pick('sslcert')),
    ...optional('sslkey', pick('sslkey')),
    ...optional('application_name', pick('application_name')),
    ...optional('fallback_application_name', pick('fallback_application_name')),
    ...optional('connect_timeout', resolveTimeout(pick('connect_timeout'))),
    ...optional('options', pick('options')),
    ...optional('replication', replication),
    extra,
  };
  hideSecret(params, 'password', pick('password'));
  hideSecret(params, 'sslpassword', pick('sslpassword'));
  return params;
}

function unknownKeyword(keyword: string, form: 'keyword' | 'uri'): ConninfoSyntaxError {
  if (keyword === 'service') {
    return new ConninfoSyntaxError(
      'connection service files (the "service" option) are not supported; write the settings in the string',
    );
  }
  const where = form === 'uri' ? 'URI query parameter' : 'connection option';
  return new ConninfoSyntaxError(`invalid ${where} "${keyword}"`);
}

function resolveHosts(
  hostList: string | undefined,
  portList: string | undefined,
  socketDir: string,
): HostPort[] {
  const hosts = (hostList ?? '').split(',');
  const ports = (portList ?? '').split(',');
  if (ports.length !== 1 && ports.length !== hosts.length) {
    throw new ConninfoSyntaxError(
      `could not match ${ports.length} port numbers to ${hosts.length} hosts`,
    );
  }
  return hosts.map((host, index) => ({
    host: host === '' ? socketDir : host,
    port: parsePort(ports.length === 1 ? ports[0]! : ports[index]!),
  }));
}

function parsePort(raw: string): number {
  if (raw.trim() === '') return 5432;
  const port = parseInteger(raw, 'port');
  if (port < 1 || port > 65535) throw new ConninfoSyntaxError(`invalid port number "${raw}"`);
  return port;
}

function resolveTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seconds = parseInteger(raw, 'connect_timeout');
  if (seconds <= 0) return undefined;
  return Math.max(seconds, 2);
}

function resolveReplication(raw: string | undefined): 'true' | 'database' | undefined {
  if (raw === undefined || raw === '') return undefined;
  const word = raw.toLowerCase();
  if (!Object.hasOwn(REPLICATION_VALUES, word)) {
    throw new ConninfoSyntaxError(
      `invalid value "${raw}" for connection option "replication" (use true, false or database)`,
    );
  }
  return REPLICATION_VALUES[word];
}

/** libpq's parse_int_param: an integer, blanks around it allowed. */
function parseInteger(raw: string, keyword: string): number {
  const text = raw.trim();
  if (!/^[+-]?\d+$/.test(text)) {
    throw new ConninfoSyntaxError(
      `invalid integer value "${raw}" for connection option "${keyword}"`,
    );
  }
  return Number.parseInt(text, 10);
}

function osUserName(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return userInfo().username;
  } catch {
    return env['USER'] || env['LOGNAME'] || 'postgres';
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function hideSecret(target: object, key: string, value: string | undefined): void {
  if (value === undefined) return;
  Object.defineProperty(target, key, { value, enumerable: false, writable: false });
}
