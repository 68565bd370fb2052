import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { type ConninfoContext, parseConninfo } from '../../src/postgres/conninfo.ts';

const context: ConninfoContext = {
  env: {},
  osUser: 'alice',
  homeDir: '/home/alice',
  defaultSocketDir: '/var/run/postgresql',
};

function parse(text: string, extra: Partial<ConninfoContext> = {}) {
  return parseConninfo(text, { ...context, ...extra });
}

function rejects(text: string, pattern: RegExp, extra: Partial<ConninfoContext> = {}) {
  assert.throws(
    () => parse(text, extra),
    (error: unknown) => {
      assert.ok(isBarkeepError(error, 'configInvalidValue'), String(error));
      assert.match(error.why, pattern);
      return true;
    },
  );
}

describe('parseConninfo, URI form', () => {
  it('reads user, password, host, port, dbname and parameters', () => {
    const params = parse(
      'postgresql://barman:s%40cret@db.example:6543/mydb?sslmode=require&application_name=bk',
    );
    assert.equal(params.user, 'barman');
    assert.equal(params.password, 's@cret');
    assert.equal(params.host, 'db.example');
    assert.equal(params.port, 6543);
    assert.equal(params.dbname, 'mydb');
    assert.equal(params.sslmode, 'require');
    assert.equal(params.application_name, 'bk');
  });

  it('accepts the postgres:// scheme and an empty URI', () => {
    assert.equal(parse('postgres://h/d').host, 'h');
    const params = parse('postgresql://');
    assert.equal(params.host, '/var/run/postgresql');
    assert.equal(params.user, 'alice');
    assert.equal(params.dbname, 'alice');
  });

  it('reads a percent-encoded socket directory, in the host part or as a parameter', () => {
    assert.equal(parse('postgresql://%2Fvar%2Frun%2Fpostgresql/db').host, '/var/run/postgresql');
    const params = parse('postgresql:///db?host=%2Ftmp%2Fsock&port=5555');
    assert.equal(params.host, '/tmp/sock');
    assert.equal(params.port, 5555);
    assert.equal(params.dbname, 'db');
  });

  it('reads IPv6 addresses in brackets and several hosts', () => {
    const params = parse('postgresql://u@[::1]:5433,[2001:db8::7],host3:7000/db');
    assert.deepEqual(params.hosts, [
      { host: '::1', port: 5433 },
      { host: '2001:db8::7', port: 5432 },
      { host: 'host3', port: 7000 },
    ]);
    assert.equal(params.user, 'u');
  });

  it('maps JDBC ssl=true to sslmode=require', () => {
    assert.equal(parse('postgresql://h/?ssl=true').sslmode, 'require');
  });

  it('decodes UTF-8 percent sequences and keeps + as is', () => {
    assert.equal(parse('postgresql://h/caf%C3%A9+bar').dbname, 'café+bar');
  });

  it('uses the user name as database when the path is empty', () => {
    assert.equal(parse('postgresql://bob@h/').dbname, 'bob');
  });

  it('rejects malformed URIs without showing the password', () => {
    rejects('postgresql://[::1/db', /missing "\]"/);
    rejects('postgresql://[]/db', /empty IPv6/);
    rejects('postgresql://[::1]x/db', /unexpected character "x"/);
    rejects('postgresql://h/db?sslmode', /missing key\/value separator/);
    rejects('postgresql://h/db?sslmode=a=b', /extra key\/value separator/);
    rejects('postgresql://h/db?nosuch=1', /invalid URI query parameter "nosuch"/);
    rejects('postgresql://h/d%zz', /invalid percent-encoded token in the database name/);
    rejects('postgresql://h/d%00', /forbidden value %00/);
    assert.throws(
      () => parse('postgresql://u:se/cret@h/db'),
      (error: unknown) => {
        assert.ok(isBarkeepError(error, 'configInvalidValue'));
        assert.match(error.why, /must be written %2F/);
        assert.doesNotMatch(error.message + error.toLine(), /se\/cret|cret/);
        return true;
      },
    );
  });
});
