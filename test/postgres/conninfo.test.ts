import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
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

describe('parseConninfo, keyword form', () => {
  it('reads plain key=value pairs', () => {
    const params = parse('host=db.example port=5433 user=barman dbname=postgres');
    assert.equal(params.host, 'db.example');
    assert.equal(params.port, 5433);
    assert.equal(params.user, 'barman');
    assert.equal(params.dbname, 'postgres');
    assert.deepEqual(params.hosts, [{ host: 'db.example', port: 5433 }]);
  });

  it('allows blanks around = and between pairs', () => {
    const params = parse('  host = db   port=\t5433\n user =barman ');
    assert.equal(params.host, 'db');
    assert.equal(params.port, 5433);
    assert.equal(params.user, 'barman');
  });

  it("unquotes single-quoted values with \\' and \\\\ escapes", () => {
    const params = parse(
      "application_name='my app' password='it\\'s a \\\\ secret' options='-c work_mem=64MB'",
    );
    assert.equal(params.application_name, 'my app');
    assert.equal(params.password, "it's a \\ secret");
    assert.equal(params.options, '-c work_mem=64MB');
  });

  it('keeps an empty quoted value and backslash escapes in unquoted values', () => {
    const params = parse("password='' user=a\\ b");
    assert.equal(params.password, undefined);
    assert.equal(params.user, 'a b');
  });

  it('lets a later keyword win, as libpq does', () => {
    assert.equal(parse('port=1 port=2').port, 2);
  });

  it('keeps every host of a multi-host string with its port', () => {
    const params = parse('host=a,b,c port=5432,5433,5434');
    assert.equal(params.host, 'a');
    assert.deepEqual(params.hosts, [
      { host: 'a', port: 5432 },
      { host: 'b', port: 5433 },
      { host: 'c', port: 5434 },
    ]);
    assert.deepEqual(
      parse('host=a,,c port=6000').hosts.map((entry) => `${entry.host}:${entry.port}`),
      ['a:6000', '/var/run/postgresql:6000', 'c:6000'],
    );
  });

  it('keeps libpq keywords it does not interpret, but never secrets', () => {
    const params = parse('keepalives=0 target_session_attrs=read-write sslpassword=x');
    assert.deepEqual(params.extra, { keepalives: '0', target_session_attrs: 'read-write' });
    assert.equal(params.sslpassword, 'x');
  });

  it('hides secrets from enumeration, JSON and inspection', () => {
    const params = parse('password=hunter2 sslpassword=swordfish host=h');
    assert.equal(params.password, 'hunter2');
    const shown = JSON.stringify(params) + inspect(params) + Object.keys(params).join();
    assert.doesNotMatch(shown, /hunter2|swordfish/);
  });

  it('reads connect_timeout like libpq: <=0 is forever, 1 becomes 2', () => {
    assert.equal(parse('connect_timeout=10').connect_timeout, 10);
    assert.equal(parse('connect_timeout=1').connect_timeout, 2);
    assert.equal(parse('connect_timeout=0').connect_timeout, undefined);
    assert.equal(parse('connect_timeout=-5').connect_timeout, undefined);
  });

  it('normalises replication', () => {
    assert.equal(parse('replication=on').replication, 'true');
    assert.equal(parse('replication=database dbname=x').replication, 'database');
    assert.equal(parse('replication=false').replication, undefined);
  });
});

describe('parseConninfo, environment and defaults', () => {
  it('applies libpq defaults', () => {
    const params = parse('');
    assert.equal(params.host, '/var/run/postgresql');
    assert.equal(params.port, 5432);
    assert.equal(params.user, 'alice');
    assert.equal(params.dbname, 'alice');
    assert.equal(params.sslmode, 'prefer');
    assert.equal(params.passfile, '/home/alice/.pgpass');
    assert.equal(params.password, undefined);
    assert.equal(params.connect_timeout, undefined);
  });

  it('falls back to the PG* variables when the string does not say', () => {
    const env = {
      PGHOST: 'envhost',
      PGPORT: '6000',
      PGUSER: 'envuser',
      PGDATABASE: 'envdb',
      PGPASSWORD: 'envpw',
      PGSSLMODE: 'verify-full',
      PGAPPNAME: 'envapp',
      PGCONNECT_TIMEOUT: '7',
      PGPASSFILE: '/etc/pgpass',
    };
    const params = parse('', { env });
    assert.equal(params.host, 'envhost');
    assert.equal(params.port, 6000);
    assert.equal(params.user, 'envuser');
    assert.equal(params.dbname, 'envdb');
    assert.equal(params.password, 'envpw');
    assert.equal(params.sslmode, 'verify-full');
    assert.equal(params.application_name, 'envapp');
    assert.equal(params.connect_timeout, 7);
    assert.equal(params.passfile, '/etc/pgpass');
    const overridden = parse('host=h user=u dbname=d password=p sslmode=disable', { env });
    assert.equal(overridden.host, 'h');
    assert.equal(overridden.user, 'u');
    assert.equal(overridden.dbname, 'd');
    assert.equal(overridden.password, 'p');
    assert.equal(overridden.sslmode, 'disable');
  });

  it('defaults the database to the user given in the string or PGUSER', () => {
    assert.equal(parse('user=bob').dbname, 'bob');
    assert.equal(parse('', { env: { PGUSER: 'carol' } }).dbname, 'carol');
  });

  it('uses $HOME for ~/.pgpass when no home directory is injected', () => {
    const params = parseConninfo('', { env: { HOME: '/srv/h' }, osUser: 'x' });
    assert.equal(params.passfile, '/srv/h/.pgpass');
  });

  it('uses dbname=replication for physical replication, as pg_basebackup does', () => {
    const params = parse('host=h user=streaming_barman', {
      replication: true,
      env: { PGDATABASE: 'ignored' },
    });
    assert.equal(params.replication, 'true');
    assert.equal(params.dbname, 'replication');
    assert.equal(parse('dbname=db', { replication: true }).dbname, 'db');
    assert.equal(parse('replication=true').dbname, 'replication');
  });

  it('treats empty environment values as unset', () => {
    assert.equal(parse('', { env: { PGHOST: '', PGPORT: '' } }).host, '/var/run/postgresql');
  });
});

describe('parseConninfo, bad input', () => {
  it('rejects keywords libpq does not know, naming them', () => {
    rejects('host=h hots=x', /invalid connection option "hots"/);
    rejects('PASSWORD=x', /invalid connection option "PASSWORD"/);
  });

  it('rejects service files', () => {
    rejects('service=mydb', /service files/);
  });

  it('rejects a missing = and an unterminated quote', () => {
    rejects('host', /missing "=" after "host"/);
    rejects("host='db", /unterminated quoted string/);
  });

  it('does not show a password split by an unquoted blank', () => {
    assert.throws(
      () => parse('password=hunter 2 host=h'),
      (error: unknown) => {
        assert.ok(isBarkeepError(error, 'configInvalidValue'));
        assert.match(error.why, /after the value of "password"/);
        assert.doesNotMatch(error.toLine(), /hunter/);
        return true;
      },
    );
  });

  it('validates sslmode, ports, timeouts, replication and port counts', () => {
    rejects('sslmode=required', /invalid sslmode value "required"/);
    rejects('', /invalid sslmode value "nope"/, { env: { PGSSLMODE: 'nope' } });
    rejects('port=abc', /invalid integer value "abc" for connection option "port"/);
    rejects('port=70000', /invalid port number "70000"/);
    rejects('connect_timeout=soon', /"connect_timeout"/);
    rejects('replication=maybe', /replication/);
    rejects('host=a,b,c port=1,2', /could not match 2 port numbers to 3 hosts/);
  });

  it('shows the string with its password masked in the error', () => {
    assert.throws(
      () => parse("host=h password='top secret' sslmode=bogus"),
      (error: unknown) => {
        assert.ok(isBarkeepError(error));
        assert.equal(error.subject, 'host=h password=******** sslmode=bogus');
        return true;
      },
    );
  });
});
