import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BarkeepError } from '../errors/barkeep-error.ts';

/** An operating-system account, as the sandbox needs it to run PostgreSQL or barkeep under it. */
export interface OsUser {
  /** Login name. */
  readonly name: string;
  /** Numeric user id. */
  readonly uid: number;
  /** Numeric primary group id. */
  readonly gid: number;
  /** Home directory (used as HOME when running a command as this user). */
  readonly home: string;
}

/**
 * Looks up an OS account by name (or numeric uid). PostgreSQL refuses to run as root, so when
 * barkeep runs as root the sandbox needs the `postgres` account's ids to drop privileges; tests
 * also run barkeep as that account, as archive_command would. Reads /etc/passwd first and falls
 * back to `getent passwd` for accounts that come from NSS.
 */
export function lookupOsUser(nameOrUid: string | number): OsUser {
  const key = String(nameOrUid);
  const fromFile = findPasswdEntry(readPasswdFile(), key);
  const entry = fromFile ?? findPasswdEntry(runGetent(key), key);
  if (entry === undefined) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot find OS user',
      subject: key,
      why: 'no such account in /etc/passwd or NSS',
      hint: 'Create the account (Debian: apt-get install postgresql-common creates "postgres").',
    });
  }
  return entry;
}

function readPasswdFile(): string {
  try {
    return readFileSync('/etc/passwd', 'utf8');
  } catch {
    return '';
  }
}

function runGetent(key: string): string {
  try {
    return execFileSync('getent', ['passwd', key], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return '';
  }
}

function findPasswdEntry(text: string, key: string): OsUser | undefined {
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const [name, , uid, gid, , home] = fields as [string, string, string, string, string, string];
    if (name === key || uid === key) {
      return { name, uid: Number(uid), gid: Number(gid), home };
    }
  }
  return undefined;
}
