import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareNames,
  isIncludedConfName,
  parseConfigIncludes,
} from '../../src/backup/config-file-syntax.ts';
import { parseAuthFileReferences } from '../../src/backup/config-hba-syntax.ts';

describe('postgresql.conf include directives', () => {
  it('reads the forms guc-file.l accepts', () => {
    const text = [
      '# include = not this',
      "include = 'a.conf'",
      "  INCLUDE_IF_EXISTS 'b.conf'   # trailing comment",
      'include_dir conf.d',
      "include_dir='/abs/dir'",
      "include 'it''s.conf'",
      "include 'back\\\\slash\\101.conf'",
      "work_mem = '4MB'",
      "include = ''",
      "include 'unterminated",
      "include 'x.conf' junk",
      'include',
      "listen_addresses = '*' # include 'no.conf'",
    ].join('\n');
    assert.deepEqual(parseConfigIncludes(text), [
      { directive: 'include', target: 'a.conf', line: 2 },
      { directive: 'include_if_exists', target: 'b.conf', line: 3 },
      { directive: 'include_dir', target: 'conf.d', line: 4 },
      { directive: 'include_dir', target: '/abs/dir', line: 5 },
      { directive: 'include', target: "it's.conf", line: 6 },
      { directive: 'include', target: 'back\\slashA.conf', line: 7 },
    ]);
  });

  it('takes only *.conf names without a leading dot, in byte order', () => {
    assert.equal(isIncludedConfName('10-x.conf'), true);
    assert.equal(isIncludedConfName('.hidden.conf'), false);
    assert.equal(isIncludedConfName('x.conf.bak'), false);
    assert.deepEqual(['b.conf', 'B.conf', 'a.conf', '_.conf'].sort(compareNames), [
      'B.conf',
      '_.conf',
      'a.conf',
      'b.conf',
    ]);
  });
});

describe('pg_hba.conf and pg_ident.conf references', () => {
  it('finds include directives and @file lists as hba.c tokenizes them', () => {
    const text = [
      '# include nope.conf',
      'local all all trust',
      'include extra.conf',
      'include_if_exists "/etc/with space.conf"',
      'include_dir hba.d',
      '"include" quoted-is-a-database all trust',
      'host db1,@dbs.txt @/etc/users , "@literal" 127.0.0.1/32 \\',
      '  scram-sha-256',
      'host all all ::1/128 trust # @comment',
    ].join('\n');
    assert.deepEqual(parseAuthFileReferences(text, true), [
      { directive: 'include', target: 'extra.conf', line: 3 },
      { directive: 'include_if_exists', target: '/etc/with space.conf', line: 4 },
      { directive: 'include_dir', target: 'hba.d', line: 5 },
      { directive: 'at-file', target: 'dbs.txt', line: 7 },
      { directive: 'at-file', target: '/etc/users', line: 7 },
    ]);
    assert.deepEqual(
      parseAuthFileReferences(text, false).map((reference) => reference.directive),
      ['include', 'include_if_exists', 'include_dir'],
    );
  });
});
