/** libpq's `sslmode` values, weakest first. */
export const sslModes = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
] as const;

/** One of libpq's `sslmode` values. */
export type SslMode = (typeof sslModes)[number];

/** One server of a (possibly multi-host) connection string. */
export interface HostPort {
  /** A host name, an IP address, or a Unix-socket directory (starts with `/`). */
  readonly host: string;
  readonly port: number;
}

/**
 * A connection string resolved the way libpq resolves it: the string's values, then the `PG*`
 * environment variables, then libpq's built-in defaults. The secrets (`password`, `sslpassword`)
 * are non-enumerable so that logging or serialising the object never shows them.
 */
export interface ConnectionParams {
  /** The first host; the one barkeep connects to. */
  readonly host: string;
  /** The port of the first host. */
  readonly port: number;
  /** Every host in the order given, each with its port. */
  readonly hosts: readonly HostPort[];
  readonly user: string;
  /** For a physical replication connection without a dbname: `replication`, as pg_basebackup. */
  readonly dbname: string;
  /** From the string or PGPASSWORD; the password file is read only when the server asks. */
  readonly password?: string;
  /** The password file to consult: `passfile`, PGPASSFILE or `~/.pgpass`. */
  readonly passfile: string;
  readonly sslmode: SslMode;
  readonly sslrootcert?: string;
  readonly sslcert?: string;
  readonly sslkey?: string;
  /** Passphrase of the client key (secret). */
  readonly sslpassword?: string;
  readonly application_name?: string;
  readonly fallback_application_name?: string;
  /** Seconds; undefined means wait forever (libpq's 0). Values below 2 become 2, as in libpq. */
  readonly connect_timeout?: number;
  /** Command-line options sent to the server at connection start (`-c name=value ...`). */
  readonly options?: string;
  /** `true` for a physical replication connection, `database` for a logical one. */
  readonly replication?: 'true' | 'database';
  /** Other libpq keywords given, kept as written but not interpreted (secrets left out). */
  readonly extra: Readonly<Record<string, string>>;
}
