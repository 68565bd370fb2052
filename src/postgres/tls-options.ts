import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionOptions, SecureVersion } from 'node:tls';
import { errnoCode } from '../errors/system-error.ts';
import type { ConnectionParams } from './conninfo.ts';

/** TLS settings for one connection attempt, or `false` for a plain connection. */
export type TlsChoice = false | ConnectionOptions;

/**
 * How to negotiate encryption for a connection, following libpq's `sslmode`: what to try first
 * and, for `allow` and `prefer`, what to try if the server turns the first attempt down.
 */
export interface TlsPlan {
  readonly first: TlsChoice;
  /** The second attempt (`allow`: TLS; `prefer`: plain), tried only when the first is refused. */
  readonly fallback?: TlsChoice;
}

/** A TLS setting that cannot be honoured (missing root certificate, unreadable key...). */
export class TlsSetupError extends Error {
  override name = 'TlsSetupError';
}

const PROTOCOL_VERSIONS = new Set(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);

/**
 * Builds the TLS plan of a connection from its `sslmode` and certificate settings, as libpq does:
 * Unix sockets never use TLS; `require` verifies the chain when a root certificate is given or
 * `~/.postgresql/root.crt` exists; `verify-ca` checks the chain only; `verify-full` also the host
 * name; `sslrootcert=system` uses the system's trusted roots and requires `verify-full`. The client
 * certificate (`sslcert`/`sslkey`, default `~/.postgresql/postgresql.crt`/`.key`) is sent when present.
 * File contents are read here, so a missing file fails before any network traffic.
 */
export async function planTls(params: ConnectionParams, homeDir: string): Promise<TlsPlan> {
  if (params.host.startsWith('/') || params.sslmode === 'disable') return { first: false };
  const home = (name: string): string => join(homeDir, '.postgresql', name);
  const base = await baseOptions(params, home);
  const unverified: ConnectionOptions = { ...base, rejectUnauthorized: false };
  switch (params.sslmode) {
    case 'allow':
      return { first: false, fallback: unverified };
    case 'prefer':
      return { first: unverified, fallback: false };
    case 'require': {
      if (params.sslrootcert === 'system') return { first: await verified(params, base, home) };
      const explicitRoot = params.sslrootcert !== undefined;
      const root = await readOptional(params.sslrootcert ?? home('root.crt'), explicitRoot);
      if (root === undefined) return { first: unverified };
      return {
        first: { ...base, ca: root, rejectUnauthorized: true, checkServerIdentity: noCheck },
      };
    }
    default:
      return { first: await verified(params, base, home) };
  }
}

/** verify-ca / verify-full (and `sslrootcert=system`): the chain must check out. */
async function verified(
  params: ConnectionParams,
  base: ConnectionOptions,
  home: (name: string) => string,
): Promise<ConnectionOptions> {
  if (params.sslrootcert === 'system') {
    if (params.sslmode !== 'verify-full') {
      throw new TlsSetupError(
        `weak sslmode "${params.sslmode}" may not be used with sslrootcert=system (use "verify-full")`,
      );
    }
    return { ...base, rejectUnauthorized: true };
  }
  const path = params.sslrootcert ?? home('root.crt');
  const ca = await readOptional(path, true, 'root certificate file does not exist');
  const options: ConnectionOptions = { ...base, ca, rejectUnauthorized: true };
  return params.sslmode === 'verify-full' ? options : { ...options, checkServerIdentity: noCheck };
}

/** Client certificate, key, passphrase, CRL and protocol range shared by every TLS attempt. */
async function baseOptions(
  params: ConnectionParams,
  home: (name: string) => string,
): Promise<ConnectionOptions> {
  const options: ConnectionOptions = {};
  const cert = await readOptional(
    params.sslcert ?? home('postgresql.crt'),
    params.sslcert !== undefined,
  );
  if (cert !== undefined) {
    const keyPath = params.sslkey ?? home('postgresql.key');
    const key = await readOptional(keyPath, true, 'certificate present, but not private key file');
    Object.assign(options, { cert, key });
    if (params.sslpassword !== undefined) options.passphrase = params.sslpassword;
  }
  const crl = params.extra['sslcrl'];
  if (crl !== undefined && crl !== '') options.crl = await readOptional(crl, true);
  const min = params.extra['ssl_min_protocol_version'] ?? 'TLSv1.2';
  const max = params.extra['ssl_max_protocol_version'];
  options.minVersion = protocolVersion(min, 'ssl_min_protocol_version');
  if (max !== undefined && max !== '') {
    options.maxVersion = protocolVersion(max, 'ssl_max_protocol_version');
  }
  return options;
}

function protocolVersion(value: string, keyword: string): SecureVersion {
  if (!PROTOCOL_VERSIONS.has(value)) {
    throw new TlsSetupError(`invalid ${keyword} value "${value}"`);
  }
  return value as SecureVersion;
}

/** Verify the chain, not the name (libpq's verify-ca). */
function noCheck(): undefined {
  return undefined;
}

/**
 * A certificate file's content, or undefined when an optional (default-location) file is absent.
 * A file named in the connection string must exist, or the connection fails before it starts.
 */
async function readOptional(path: string, required: true, missingWhy?: string): Promise<Buffer>;
async function readOptional(path: string, required: boolean): Promise<Buffer | undefined>;
async function readOptional(
  path: string,
  required: boolean,
  missingWhy?: string,
): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = errnoCode(error);
    if (!required && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
    if (code === 'ENOENT') {
      throw new TlsSetupError(`${missingWhy ?? 'certificate file does not exist'}: "${path}"`);
    }
    throw new TlsSetupError(`cannot read "${path}" (${code ?? String(error)})`);
  }
}
