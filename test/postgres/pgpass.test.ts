import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPgpassPassword, lookupPgpass, type PgpassTarget } from '../../src/postgres/pgpass.ts';

const target: PgpassTarget = { host: 'db.example', port: 5432, dbname: 'postgres', user: 'barman' };

describe('findPgpassPassword', () => {
  it('returns the password of the first matching line', () => {
    const text = [
      'other:5432:postgres:barman:wrong',
      'db.example:5432:postgres:barman:right',
      'db.example:5432:postgres:barman:later',
    ].join('\n');
    assert.equal(findPgpassPassword(text, target), 'right');
  });

  it('matches * in any of the first four fields', () => {
    assert.equal(findPgpassPassword('*:*:*:*:any', target), 'any');
    assert.equal(findPgpassPassword('db.example:*:postgres:*:p', target), 'p');
    assert.equal(findPgpassPassword('*:5433:*:*:no', target), undefined);
  });

  it('treats * as a wildcard only when it is the whole field', () => {
    assert.equal(findPgpassPassword('db.*:5432:postgres:barman:p', target), undefined);
  });

  it('skips comment and blank lines and handles CRLF', () => {
    const text = '# db.example:5432:postgres:barman:commented\r\n\r\n*:*:*:barman:crlf\r\n';
    assert.equal(findPgpassPassword(text, target), 'crlf');
  });

  it('unescapes \\: and \\\\ in key fields and the password', () => {
    const host = { ...target, host: 'fe80::1' };
    assert.equal(findPgpassPassword('fe80\\:\\:1:5432:postgres:barman:p', host), 'p');
    assert.equal(findPgpassPassword('*:*:*:*:a\\:b\\\\c', target), 'a:b\\c');
    assert.equal(findPgpassPassword('*:*:*:*:a:b', target), 'a');
    const user = { ...target, user: 'dom\\user' };
    assert.equal(findPgpassPassword('*:*:*:dom\\\\user:p', user), 'p');
  });

  it('does not match lines with missing fields or partial values', () => {
    assert.equal(findPgpassPassword('db.example:5432:postgres', target), undefined);
    assert.equal(findPgpassPassword('db.example:5432:postgres:barma:p', target), undefined);
    assert.equal(findPgpassPassword('db.example:5432:postgres:barmanx:p', target), undefined);
  });

  it('matches localhost for the default socket directory only, as libpq does', () => {
    const socket = { ...target, host: '/var/run/postgresql' };
    const options = { defaultSocketDir: '/var/run/postgresql' };
    assert.equal(findPgpassPassword('localhost:5432:postgres:barman:s', socket, options), 's');
    const other = { ...target, host: '/tmp/sock' };
    assert.equal(findPgpassPassword('localhost:5432:postgres:barman:s', other, options), undefined);
    assert.equal(findPgpassPassword('/tmp/sock:5432:postgres:barman:t', other, options), 't');
  });

  it('matches replication lines for a physical replication connection', () => {
    const replication = { ...target, dbname: 'replication' };
    const text = 'db.example:5432:postgres:barman:sql\ndb.example:5432:replication:barman:repl';
    assert.equal(findPgpassPassword(text, replication), 'repl');
    assert.equal(findPgpassPassword(text, target), 'sql');
  });
});

describe('lookupPgpass', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'barkeep-pgpass-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a 0600 file', async () => {
    const file = join(dir, 'ok');
    await writeFile(file, '*:*:*:barman:filepw\n', { mode: 0o600 });
    await chmod(file, 0o600);
    assert.deepEqual(await lookupPgpass(file, target), { password: 'filepw' });
  });

  it('finds nothing, silently, when the file does not exist', async () => {
    assert.deepEqual(await lookupPgpass(join(dir, 'missing'), target), {});
  });

  it('ignores a group or world accessible file with a warning', async () => {
    for (const mode of [0o640, 0o604, 0o660]) {
      const file = join(dir, `open-${mode.toString(8)}`);
      await writeFile(file, '*:*:*:*:leaked\n');
      await chmod(file, mode);
      const result = await lookupPgpass(file, target);
      assert.equal(result.password, undefined);
      assert.match(result.warning ?? '', /has group or world access/);
      assert.doesNotMatch(result.warning ?? '', /leaked/);
    }
  });

  it('ignores something that is not a plain file with a warning', async () => {
    const sub = join(dir, 'a-directory');
    await mkdir(sub, { mode: 0o700 });
    const result = await lookupPgpass(sub, target);
    assert.equal(result.password, undefined);
    assert.match(result.warning ?? '', /not a plain file/);
  });
});
