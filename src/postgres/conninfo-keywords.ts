/**
 * Every connection keyword libpq accepts (PostgreSQL 14 to 18), mapped to the environment
 * variable libpq falls back to, if any. barkeep rejects a keyword that is not here, as libpq does,
 * so a typo in `conninfo` fails at configuration time instead of being silently ignored.
 */
export const libpqKeywords: Readonly<Record<string, string | undefined>> = {
  service: 'PGSERVICE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  channel_binding: 'PGCHANNELBINDING',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  dbname: 'PGDATABASE',
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  client_encoding: 'PGCLIENTENCODING',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  fallback_application_name: undefined,
  keepalives: undefined,
  keepalives_idle: undefined,
  keepalives_interval: undefined,
  keepalives_count: undefined,
  tcp_user_timeout: undefined,
  sslmode: 'PGSSLMODE',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslpassword: undefined,
  sslkeylogfile: 'PGSSLKEYLOGFILE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  require_auth: 'PGREQUIREAUTH',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  min_protocol_version: 'PGMINPROTOCOLVERSION',
  max_protocol_version: 'PGMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  replication: undefined,
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
  scram_client_key: undefined,
  scram_server_key: undefined,
  oauth_issuer: undefined,
  oauth_client_id: undefined,
  oauth_client_secret: undefined,
  oauth_scope: undefined,
};

/**
 * The keywords whose values are secrets: never shown, logged or put in an error message.
 * libpq marks them as password fields (`*`) or debug-only.
 */
export const secretKeywords: ReadonlySet<string> = new Set([
  'password',
  'sslpassword',
  'oauth_client_secret',
  'scram_client_key',
  'scram_server_key',
]);

/** True when `keyword` is one libpq accepts. */
export function isLibpqKeyword(keyword: string): boolean {
  return Object.hasOwn(libpqKeywords, keyword);
}
