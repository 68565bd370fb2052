/** A command line that cannot be split safely. */
export class ShellWordsError extends Error {
  override name = 'ShellWordsError';
}

/**
 * Splits a command line the way a POSIX shell splits plain words: single quotes (literal),
 * double quotes (with `\` escaping `"`, `\`, `$` and backquote), backslash outside quotes.
 * Anything that would make a shell do more than run one program — `;`, `|`, `&`, `<`, `>`,
 * `$`, backquotes, `(`, `)`, globbing, newlines — outside quotes is refused, so the words
 * returned are exactly what the client asked for, never a second command.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end < 0) throw new ShellWordsError('an unterminated single quote');
      word += text.slice(index + 1, end);
      inWord = true;
      index = end;
    } else if (char === '"') {
      let end = index + 1;
      for (; end < text.length && text[end] !== '"'; end++) {
        const inner = text[end]!;
        if (inner === '\\' && '"\\$`'.includes(text[end + 1] ?? '')) {
          word += text[end + 1];
          end++;
        } else if (inner === '$' || inner === '`') {
          throw new ShellWordsError(`'${inner}' inside double quotes`);
        } else {
          word += inner;
        }
      }
      if (end >= text.length) throw new ShellWordsError('an unterminated double quote');
      inWord = true;
      index = end;
    } else if (char === '\\') {
      if (index + 1 >= text.length) throw new ShellWordsError('a trailing backslash');
      word += text[index + 1];
      inWord = true;
      index++;
    } else if (char === ' ' || char === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (';|&<>$`()*?[]{}~\n\r#!'.includes(char)) {
      throw new ShellWordsError(`the shell character '${char === '\n' ? '\\n' : char}'`);
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
