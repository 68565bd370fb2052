// Edits of postgresql.conf text: lines barkeep does not touch stay byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  appendSettings,
  commentOutSettings,
  quoteConfValue,
  readSetting,
  rewriteIncludes,
} from '../../src/recovery/postgresql-conf-edit.ts';

const CONF = [
  "data_directory = '/var/lib/postgresql/15/main'\t\t# use data in another directory",
  "  HBA_FILE='/etc/postgresql/15/main/pg_hba.conf'",
  "#ident_file = 'ConfigDir/pg_ident.conf'",
  'port = 5433',
  "data_directory_extra = 'not this one'",
  "include_dir = 'conf.d'",
  "include '/etc/postgresql/15/main/extra.conf'  # kept",
  "include_if_exists '/srv/it''s.conf'",
  "shared_buffers = '128MB'",
  '',
].join('\n');

describe('postgresql.conf edits', () => {
  it('quotes strings with doubled single quotes', () => {
    assert.equal(quoteConfValue('/data'), "'/data'");
    assert.equal(quoteConfValue("it's"), "'it''s'");
  });

  it('comments out every active line of the named settings, any case, and nothing else', () => {
    const out = commentOutSettings(CONF, ['data_directory', 'hba_file', 'ident_file'], 'why');
    const lines = out.split('\n');
    const before = CONF.split('\n');
    assert.equal(lines.length, before.length);
    assert.equal(lines[0], `#${before[0]}  # why`);
    assert.equal(lines[1], `#${before[1]}  # why`);
    assert.equal(lines[2], before[2], 'an already commented line stays');
    for (const index of [3, 4, 5, 6, 7, 8]) assert.equal(lines[index], before[index]);
    assert.equal(readSetting(out, 'data_directory'), undefined);
    assert.equal(readSetting(out, 'data_directory_extra'), 'not this one');
  });

  it('appends a titled block, adding the missing final newline first', () => {
    assert.equal(
      appendSettings('port = 5432', 'Added', { port: '5433', a: "'b'" }),
      "port = 5432\n\n# Added\nport = 5433\na = 'b'\n",
    );
    assert.equal(appendSettings('', 'T', { x: '1' }), '\n# T\nx = 1\n');
    const appended = appendSettings(CONF, 'T', { port: '6000' });
    assert.ok(appended.startsWith(CONF));
    assert.equal(readSetting(appended, 'port'), '6000', 'the last value wins');
  });

  it('rewrites include paths the map knows, keeping the directive and the rest of the line', () => {
    const out = rewriteIncludes(CONF, (path) => (path.startsWith('/') ? `/new${path}` : undefined));
    const lines = out.split('\n');
    assert.equal(lines[5], "include_dir = 'conf.d'", 'a relative path the map leaves alone');
    assert.equal(lines[6], "include '/new/etc/postgresql/15/main/extra.conf'  # kept");
    assert.equal(lines[7], "include_if_exists '/new/srv/it''s.conf'");
    assert.equal(lines[0], CONF.split('\n')[0]);
  });

  it('reads the last value of a setting, quoted or not, with comments and escapes', () => {
    assert.equal(readSetting(CONF, 'port'), '5433');
    assert.equal(readSetting(CONF, 'PORT'), '5433');
    assert.equal(readSetting(CONF, 'hba_file'), '/etc/postgresql/15/main/pg_hba.conf');
    assert.equal(readSetting(CONF, 'ident_file'), undefined, 'only a commented line');
    assert.equal(readSetting(CONF, 'work_mem'), undefined);
    assert.equal(readSetting("x = 'a # b'  # c", 'x'), 'a # b');
    assert.equal(readSetting("x = 'it''s'", 'x'), "it's");
    assert.equal(readSetting("x = 'a\\'b'", 'x'), "a'b");
    assert.equal(readSetting('x=on#comment', 'x'), 'on');
    assert.equal(readSetting('x 64MB', 'x'), '64MB');
  });
});
