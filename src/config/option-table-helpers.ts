/** Small constructors shared by the option table files, for the common kinds of planned rows. */

import { type OptionScope, option } from './option-spec.ts';
import { integerParser, parseString } from './value-parsers.ts';

/** Whole numbers of any sign (pg_basebackup levels for zstd may be negative). */
export const anyInteger = integerParser(Number.MIN_SAFE_INTEGER);

/** A planned option taking free text. */
export function text(scope: OptionScope, doc: string) {
  return option({ scope, status: 'planned', parse: parseString, doc });
}

/** A planned server option taking a libpq connection string, shown redacted. */
export function connection(doc: string) {
  return option({ scope: 'server', status: 'planned', parse: parseString, secret: true, doc });
}

/** A planned hook script: a shell command line, settable globally or per server. */
export function hook(doc: string) {
  return text('global-server', doc);
}
