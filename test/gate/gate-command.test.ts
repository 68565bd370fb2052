import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { parseGateCommand } from '../../src/gate/gate-command.ts';
import { splitShellWords } from '../../src/gate/shell-words.ts';

describe('splitShellWords', () => {
  it('splits words with quotes and escapes as a shell would', () => {
    assert.deepEqual(splitShellWords(`barman --config='/etc/bar man.conf' get-wal "pg" a\\ b`), [
      'barman',
      '--config=/etc/bar man.conf',
      'get-wal',
      'pg',
      'a b',
    ]);
    assert.deepEqual(splitShellWords(`a "x\\"y" 'it''s'`), ['a', 'x"y', 'its']);
  });

  it('refuses shell constructs outside quotes', () => {
    for (const text of [
      'a; rm -rf /',
      'a | b',
      'a && b',
      'a > f',
      'a $(id)',
      'a `id`',
      'a *',
      "a 'b",
      'a "$HOME"',
      'a\nb',
    ]) {
      assert.throws(() => splitShellWords(text), { name: 'ShellWordsError' }, text);
    }
  });
});

describe('parseGateCommand', () => {
  const allowed = ['pg'];

  it("accepts barman-wal-archive's put-wal and its --test", () => {
    assert.deepEqual(parseGateCommand("barman --config='/etc/barkeep.conf' put-wal pg", allowed), {
      command: 'put-wal',
      server: 'pg',
      config: '/etc/barkeep.conf',
      args: ['put-wal', 'pg'],
    });
    assert.deepEqual(parseGateCommand('barman put-wal pg --test', allowed).args, [
      'put-wal',
      '--test',
      'pg',
    ]);
  });

  it("accepts barman-wal-restore's get-wal forms", () => {
    assert.deepEqual(
      parseGateCommand('barman get-wal --partial -z pg 000000010000000000000003', allowed).args,
      ['get-wal', '--partial', '-z', 'pg', '000000010000000000000003'],
    );
    assert.deepEqual(
      parseGateCommand("barman -c /c get-wal --peek '4' pg 00000002.history", allowed).args,
      ['get-wal', '--peek', '4', 'pg', '00000002.history'],
    );
  });

  it('refuses shells, other programs, other commands, other servers and odd names', () => {
    const refused = (text: string | undefined, why: RegExp) =>
      assert.throws(
        () => parseGateCommand(text, allowed),
        (error: unknown) =>
          isBarkeepError(error, 'accessRefused') && why.test(error.why) && error.exitCode === 1,
        String(text),
      );
    refused(undefined, /no SSH_ORIGINAL_COMMAND/);
    refused('bash', /'bash' is not barman/);
    refused('barman put-wal pg; bash', /shell character ';'/);
    refused('barman delete pg latest', /'delete' is not put-wal or get-wal/);
    refused('barman put-wal other', /server 'other' is not one this key may use/);
    refused('barman get-wal pg ../../etc/passwd', /not a WAL file name/);
    refused(
      'barman get-wal --output-directory /tmp pg 000000010000000000000003',
      /option '--output-directory' is not allowed/,
    );
    refused('barman -d put-wal pg', /global option '-d' is not allowed/);
    refused('barman put-wal pg pg2', /put-wal takes SERVER/);
  });
});
