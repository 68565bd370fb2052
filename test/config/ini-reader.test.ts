import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IniSyntaxError, readIni } from '../../src/config/ini-reader.ts';

describe('readIni', () => {
  it('reads sections, both delimiters, comments and lower-cases keys', () => {
    const sections = readIni(
      [
        '# leading comment',
        '[barman]',
        'Barman_Home = /var/lib/barman',
        '; another',
        'log_level: INFO',
        '',
        '[pg]',
        'description =  "Main PG"  ',
      ].join('\n'),
      'f.conf',
    );
    assert.deepEqual(
      sections.map((s) => s.name),
      ['barman', 'pg'],
    );
    const barman = sections[0]!;
    assert.equal(barman.entries.get('barman_home')?.value, '/var/lib/barman');
    assert.equal(barman.entries.get('barman_home')?.line, 3);
    assert.equal(barman.entries.get('log_level')?.value, 'INFO');
    assert.equal(sections[1]!.entries.get('description')?.value, '"Main PG"');
  });

  it('joins indented continuation lines and keeps inner blank lines', () => {
    const [section] = readIni(
      '[pg]\nconninfo = host=pg\n   user=barman\n\n   dbname=postgres\nnext = 1\n',
      'f',
    );
    assert.equal(
      section!.entries.get('conninfo')?.value,
      'host=pg\nuser=barman\n\ndbname=postgres',
    );
    assert.equal(section!.entries.get('next')?.value, '1');
  });

  it('drops trailing blank lines of a value and allows an empty value', () => {
    const [section] = readIni('[pg]\nslot_name =\n\n\nactive = true', 'f');
    assert.equal(section!.entries.get('slot_name')?.value, '');
    assert.equal(section!.entries.get('active')?.value, 'true');
  });

  it('splits at the first delimiter only', () => {
    const [section] = readIni('[pg]\nconninfo = host=pg password=a:b=c', 'f');
    assert.equal(section!.entries.get('conninfo')?.value, 'host=pg password=a:b=c');
  });

  it('rejects a key outside any section, naming the line', () => {
    assert.throws(
      () => readIni('\nkey = value\n', 'bad.conf'),
      (error: unknown) =>
        error instanceof IniSyntaxError && error.line === 2 && error.file === 'bad.conf',
    );
  });

  it('rejects a line that is not key = value', () => {
    assert.throws(() => readIni('[pg]\njust words\n', 'f'), /'just words' is not 'key = value'/);
  });

  it('rejects duplicate sections and duplicate keys (configparser strict mode)', () => {
    assert.throws(() => readIni('[pg]\n[pg]\n', 'f'), /section \[pg\] already began at line 1/);
    assert.throws(() => readIni('[pg]\nA = 1\na = 2\n', 'f'), /key 'a' is already set at line 2/);
  });

  it('accepts CRLF line endings', () => {
    const [section] = readIni('[pg]\r\nactive = false\r\n', 'f');
    assert.equal(section!.entries.get('active')?.value, 'false');
  });
});
