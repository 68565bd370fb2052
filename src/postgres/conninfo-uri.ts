import { type ConninfoEntry, ConninfoSyntaxError } from './conninfo-syntax-error.ts';

/**
 * Parses the URI form of a libpq connection string, following libpq's own rules
 * (`conninfo_uri_parse_options`): `scheme://[user[:password]@][host][:port][,host[:port]...]
 * [/dbname][?key=value&...]`, IPv6 hosts in brackets, percent-decoding of every part, and JDBC's
 * `ssl=true` read as `sslmode=require`. `start` is the index just past the scheme.
 * Several hosts come back as one comma-separated `host` (and `port`) entry, as libpq stores them.
 */
export function parseConninfoUri(text: string, start: number): ConninfoEntry[] {
  const entries: ConninfoEntry[] = [];
  const add = (keyword: string, value: string, from: number, to: number): void => {
    entries.push({ keyword, value, span: [from, to] });
  };
  let pos = start;
  let look = pos;
  while (look < text.length && text[look] !== '@' && text[look] !== '/') look++;
  if (text[look] === '@') {
    let userEnd = pos;
    while (text[userEnd] !== ':' && text[userEnd] !== '@') userEnd++;
    if (userEnd > pos) add('user', decode(text.slice(pos, userEnd), 'user name'), pos, userEnd);
    if (text[userEnd] === ':') {
      const passwordStart = userEnd + 1;
      if (look > passwordStart) {
        add('password', decode(text.slice(passwordStart, look), 'password'), passwordStart, look);
      }
    }
    pos = look + 1;
  } else {
    rejectUnencodedSlash(text, pos, look);
  }

  const netlocStart = pos;
  const hosts: string[] = [];
  const ports: string[] = [];
  let terminator: string | undefined;
  for (;;) {
    let host: string;
    if (text[pos] === '[') {
      const hostStart = ++pos;
      while (pos < text.length && text[pos] !== ']') pos++;
      if (pos >= text.length) {
        throw new ConninfoSyntaxError('missing "]" after an IPv6 host address in the URI');
      }
      if (pos === hostStart) throw new ConninfoSyntaxError('empty IPv6 host address in the URI');
      host = text.slice(hostStart, pos);
      pos++;
      const next = text[pos];
      if (next !== undefined && next !== ':' && next !== '/' && next !== '?' && next !== ',') {
        throw new ConninfoSyntaxError(
          `unexpected character "${next}" at position ${pos + 1} in the URI (expected ":" or "/")`,
        );
      }
    } else {
      const hostStart = pos;
      while (pos < text.length && !':/?,'.includes(text[pos]!)) pos++;
      host = text.slice(hostStart, pos);
    }
    hosts.push(host);
    terminator = text[pos];
    let port = '';
    if (terminator === ':') {
      const portStart = ++pos;
      while (pos < text.length && !'/?,'.includes(text[pos]!)) pos++;
      port = text.slice(portStart, pos);
      terminator = text[pos];
    }
    ports.push(port);
    if (terminator !== ',') break;
    pos++;
  }
  const netlocEnd = pos;
  const hostList = hosts.join(',');
  const portList = ports.join(',');
  if (hostList !== '') add('host', decode(hostList, 'host'), netlocStart, netlocEnd);
  if (portList !== '') add('port', decode(portList, 'port'), netlocStart, netlocEnd);

  if (terminator === '/') {
    const dbStart = ++pos;
    while (pos < text.length && text[pos] !== '?') pos++;
    // An empty dbname is not stored: it would hide PGDATABASE, as libpq notes.
    if (pos > dbStart)
      add('dbname', decode(text.slice(dbStart, pos), 'database name'), dbStart, pos);
    terminator = text[pos];
  }
  if (terminator === '?') parseQuery(text, pos + 1, add);
  return entries;
}

/**
 * `user:pa/ss@host`: libpq stops looking for `@` at the first `/`, so the password would be read
 * as a port and shown in the error. Say what is wrong instead, without the value.
 */
function rejectUnencodedSlash(text: string, start: number, slash: number): void {
  const at = text.indexOf('@', slash);
  const query = text.indexOf('?', slash);
  if (at < 0 || (query >= 0 && query < at)) return;
  const colon = text.indexOf(':', start);
  if (colon < 0 || colon > slash || text.slice(start, slash).includes('[')) return;
  if (/^[\d,]*$/.test(text.slice(colon + 1, slash))) return;
  throw new ConninfoSyntaxError('a "/" in the user name or password of a URI must be written %2F');
}

function parseQuery(
  text: string,
  start: number,
  add: (keyword: string, value: string, from: number, to: number) => void,
): void {
  let pos = start;
  while (pos < text.length) {
    const keywordStart = pos;
    let valueStart = -1;
    while (pos < text.length && text[pos] !== '&') {
      if (text[pos] === '=') {
        if (valueStart >= 0) {
          const keyword = text.slice(keywordStart, valueStart - 1);
          throw new ConninfoSyntaxError(
            `extra key/value separator "=" in URI query parameter "${keyword}"`,
          );
        }
        valueStart = pos + 1;
      }
      pos++;
    }
    if (valueStart < 0) {
      throw new ConninfoSyntaxError(
        `missing key/value separator "=" in URI query parameter "${text.slice(keywordStart, pos)}"`,
      );
    }
    let keyword = decode(text.slice(keywordStart, valueStart - 1), 'query parameter name');
    let value = decode(text.slice(valueStart, pos), `value of query parameter "${keyword}"`);
    if (keyword === 'ssl' && value === 'true') {
      keyword = 'sslmode';
      value = 'require';
    }
    add(keyword, value, valueStart, pos);
    if (pos < text.length) pos++;
  }
}

/** libpq's percent-decoding: `%XX` only (no `+` for blank), `%00` forbidden, UTF-8 bytes. */
function decode(raw: string, part: string): string {
  if (!raw.includes('%')) return raw;
  const chunks: Buffer[] = [];
  let plainStart = 0;
  let index = raw.indexOf('%');
  while (index >= 0) {
    chunks.push(Buffer.from(raw.slice(plainStart, index), 'utf8'));
    const hex = raw.slice(index + 1, index + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
      throw new ConninfoSyntaxError(`invalid percent-encoded token in the ${part} of the URI`);
    }
    const byte = Number.parseInt(hex, 16);
    if (byte === 0) {
      throw new ConninfoSyntaxError(`forbidden value %00 in the ${part} of the URI`);
    }
    chunks.push(Buffer.of(byte));
    plainStart = index + 3;
    index = raw.indexOf('%', plainStart);
  }
  chunks.push(Buffer.from(raw.slice(plainStart), 'utf8'));
  return Buffer.concat(chunks).toString('utf8');
}
