import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redactConninfo } from '../../src/postgres/redact-conninfo.ts';

describe('redactConninfo', () => {
  it('masks the password of the keyword form and keeps the rest as written', () => {
    assert.equal(
      redactConninfo('host=pg  user=barman password=hunter2 dbname=postgres'),
      `host=pg  user=barman password=${REDACTED} dbname=postgres`,
    );
  });

  it('masks quoted passwords with escapes and blanks', () => {
    assert.equal(
      redactConninfo("password = 'it\\'s a secret' host=pg"),
      `password = ${REDACTED} host=pg`,
    );
  });

  it('masks sslpassword and every repeated password', () => {
    assert.equal(
      redactConninfo('password=a sslpassword=b password=c'),
      `password=${REDACTED} sslpassword=${REDACTED} password=${REDACTED}`,
    );
  });

  it('masks the password of a URI in the user info and the query', () => {
    assert.equal(
      redactConninfo('postgresql://barman:s%40cret@pg:5432/db?sslmode=require&password=x'),
      `postgresql://barman:${REDACTED}@pg:5432/db?sslmode=require&password=${REDACTED}`,
    );
    assert.equal(redactConninfo('postgres://u@h/db'), 'postgres://u@h/db');
  });

  it('leaves a string without secrets unchanged', () => {
    const text = "host=/var/run/postgresql user=postgres application_name='barkeep x'";
    assert.equal(redactConninfo(text), text);
    assert.equal(redactConninfo(''), '');
  });

  it('masks misspelt or upper-case password keywords too', () => {
    assert.equal(redactConninfo('PASSWORD=x passwd=y'), `PASSWORD=${REDACTED} passwd=${REDACTED}`);
  });

  it('masks by pattern when the string does not parse', () => {
    assert.equal(redactConninfo("host=h password='unterminated"), `host=h password=${REDACTED}`);
    assert.equal(redactConninfo('password=hunter 2 user=u'), `password=${REDACTED} user=u`);
    assert.equal(
      redactConninfo('postgresql://u:pa/ss@h/db?x'),
      `postgresql://u:${REDACTED}@h/db?x`,
    );
    assert.equal(
      redactConninfo('postgresql://u:p%zz@h/db?password=%zz&a=b'),
      `postgresql://u:${REDACTED}@h/db?password=${REDACTED}&a=b`,
    );
  });
});
