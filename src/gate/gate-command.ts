import { BarkeepError } from '../errors/barkeep-error.ts';
import { ShellWordsError, splitShellWords } from './shell-words.ts';

/** A command the ssh gate lets through, as barkeep arguments. */
export interface GateCommand {
  readonly command: 'put-wal' | 'get-wal';
  readonly server: string;
  /** The configuration file the client named (`--config`), if any. */
  readonly config: string | undefined;
  /** The barkeep command arguments, without the global options. */
  readonly args: readonly string[];
}

/**
 * Reads `SSH_ORIGINAL_COMMAND` as Barman's client scripts send it and accepts only their forms:
 * `barman [--config F] put-wal [--test] SERVER` (barman-wal-archive) and
 * `barman [--config F] get-wal [--test] [--partial] [--peek N] [--gzip] SERVER WAL`
 * (barman-wal-restore), for one of the `allowed` servers. Everything else — another program, a
 * shell construct, another command, another server, an unknown option — is refused, so a
 * database host's key opens no shell on the backup host.
 */
export function parseGateCommand(
  original: string | undefined,
  allowed: readonly string[],
): GateCommand {
  const refuse = (why: string) =>
    new BarkeepError('accessRefused', {
      what: 'refused ssh command',
      subject: original ?? '',
      why,
    });
  if (!original)
    throw refuse(
      'no SSH_ORIGINAL_COMMAND: the key is meant for barman-wal-archive and barman-wal-restore only',
    );
  let words: string[];
  try {
    words = splitShellWords(original);
  } catch (error) {
    if (!(error instanceof ShellWordsError)) throw error;
    throw refuse(`it contains ${error.message}`);
  }
  const program = words.shift();
  if (program !== 'barman' && program !== 'barkeep')
    throw refuse(`'${program ?? ''}' is not barman`);
  let config: string | undefined;
  while (words[0]?.startsWith('-')) {
    const option = words.shift()!;
    if (option.startsWith('--config=')) config = option.slice('--config='.length);
    else if (option === '--config' || option === '-c') config = words.shift();
    else if (option === '-q' || option === '--quiet') continue;
    else throw refuse(`global option '${option}' is not allowed`);
  }
  const command = words.shift();
  if (command !== 'put-wal' && command !== 'get-wal')
    throw refuse(`'${command ?? ''}' is not put-wal or get-wal`);
  const args: string[] = [];
  const positional: string[] = [];
  while (words.length > 0) {
    const word = words.shift()!;
    if (!word.startsWith('-')) {
      positional.push(word);
      continue;
    }
    const allowedOptions =
      command === 'put-wal'
        ? ['-t', '--test']
        : ['-t', '--test', '-P', '--partial', '-z', '--gzip'];
    if (allowedOptions.includes(word)) args.push(word);
    else if (command === 'get-wal' && (word === '-p' || word === '--peek')) {
      const count = words.shift();
      if (!count || !/^\d+$/.test(count)) throw refuse('--peek needs a number');
      args.push('--peek', count);
    } else if (command === 'get-wal' && /^--peek=\d+$/.test(word)) args.push(word);
    else throw refuse(`option '${word}' is not allowed for ${command}`);
  }
  const expected = command === 'put-wal' ? 1 : 2;
  if (positional.length !== expected)
    throw refuse(`${command} takes ${expected === 1 ? 'SERVER' : 'SERVER WAL'}`);
  const server = positional[0]!;
  if (!allowed.includes(server))
    throw refuse(`server '${server}' is not one this key may use (${allowed.join(', ')})`);
  if (
    command === 'get-wal' &&
    !/^[0-9A-F]{24}(\.partial)?$|^[0-9A-F]{8}\.history$|^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$/.test(
      positional[1]!,
    )
  ) {
    throw refuse(`'${positional[1]}' is not a WAL file name`);
  }
  return { command, server, config, args: [command, ...args, ...positional] };
}
