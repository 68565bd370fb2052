import type { ValueParser } from './value-parsers.ts';

/**
 * Where an option may be written: only in the global section, only in server sections, or in
 * both (a global value is then the default for every server), as in Barman's barman(5) page.
 */
export type OptionScope = 'global' | 'server' | 'global-server';

/**
 * What barkeep does with an option:
 * - `implemented`: a Barman option barkeep honours with Barman's meaning;
 * - `planned`: a documented Barman option barkeep accepts but does not honour yet (one warning
 *   per use, so a real Barman file still loads);
 * - `ours`: an option Barman does not have, documented in the README.
 */
export type OptionStatus = 'implemented' | 'planned' | 'ours';

/** One row of the declarative option table. */
export interface OptionSpec<T> {
  readonly scope: OptionScope;
  readonly status: OptionStatus;
  /** Turns the raw text into the typed value; throws ValueError with the reason. */
  readonly parse: ValueParser<T>;
  /** The default as it would be written in the file; absent means unset. */
  readonly default?: string;
  /** Other spellings accepted for this key (e.g. Barman's `home` for `barman_home`). */
  readonly aliases?: readonly string[];
  /** The value may carry a password (conninfo): shown redacted. */
  readonly secret?: boolean;
  /** One sentence for `show-servers --help`, the README and warnings. */
  readonly doc: string;
}

/** An option row with a default: its value is never undefined after loading. */
export type DefaultedOptionSpec<T> = OptionSpec<T> & { readonly default: string };

/** Declares an option row; the overloads let the table's types know which values are always set. */
export function option<T>(spec: DefaultedOptionSpec<T>): DefaultedOptionSpec<T>;
export function option<T>(spec: OptionSpec<T>): OptionSpec<T>;
export function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/** The typed value an option row produces after loading: defined when the row has a default. */
export type OptionValueOf<S> =
  S extends DefaultedOptionSpec<infer T>
    ? T
    : S extends OptionSpec<infer T>
      ? T | undefined
      : never;
