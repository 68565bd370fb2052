/** Small constructors shared by the option table files, for the common kinds of planned rows. */

import { type OptionScope, type OptionStatus, option } from './option-spec.ts';
import { integerParser, parseString } from './value-parsers.ts';

/** Whole numbers of any sign (pg_basebackup levels for zstd may be negative). */
export const anyInteger = integerParser(Number.MIN_SAFE_INTEGER);

/** An option taking free text, planned unless said otherwise. */
export function text(scope: OptionScope, doc: string, status: OptionStatus = 'planned') {
  return option({ scope, status, parse: parseString, doc });
}

/** A planned server option taking a libpq connection string, shown redacted. */
export function connection(doc: string) {
  return option({ scope: 'server', status: 'planned', parse: parseString, secret: true, doc });
}

/** A hook script: a shell command line, settable globally or per server; planned by default. */
export function hook(doc: string, status: OptionStatus = 'planned') {
  return text('global-server', doc, status);
}
