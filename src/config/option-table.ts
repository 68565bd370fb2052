/**
 * The configuration option table: one row per key barkeep understands, which is every option
 * documented for Barman 3.x plus, later, barkeep's own (`ours`) additions.
 *
 * It is the single source for everything that depends on the list of keys: the loader checks
 * scope and parses values with it, warns about `planned` keys, and suggests the closest key for
 * an unknown one; `show-servers`, its JSON output and the README's option list are generated from
 * it; secrets are redacted because a row says so. Adding an option means adding a row here and
 * nowhere else.
 *
 * The rows live in three files by concept, merged below:
 * - option-table-core.ts: the keys the barkeep contract names, including all implemented ones;
 * - option-table-barman-extra.ts: Barman's other documented options, all `planned`;
 * - option-table-barman-cloud.ts: Barman's snapshot and object storage options, all `planned`.
 *
 * See docs/barman-options.md for the Barman versions and sources the list was taken from.
 */

import type { OptionSpec } from './option-spec.ts';
import { barmanCloudOptions } from './option-table-barman-cloud.ts';
import { barmanExtraOptions } from './option-table-barman-extra.ts';
import { coreOptions } from './option-table-core.ts';

/** Every configuration option, keyed by its canonical (lower-case) Barman name. */
export const optionTable = {
  ...coreOptions,
  ...barmanExtraOptions,
  ...barmanCloudOptions,
} as const;

/** The canonical name of a configuration option. */
export type OptionName = keyof typeof optionTable;

/** Any row of the table, with its value type erased (for generic loader code). */
export type AnyOptionSpec = OptionSpec<unknown>;

/** The rows as a list of `[name, spec]` pairs, in table order. */
export const optionEntries = Object.entries(optionTable) as [OptionName, AnyOptionSpec][];

/** Looks up a key or one of its aliases (case-insensitive); undefined when unknown. */
export function findOption(key: string): [OptionName, AnyOptionSpec] | undefined {
  const wanted = key.trim().toLowerCase();
  if (Object.hasOwn(optionTable, wanted)) {
    return [wanted as OptionName, optionTable[wanted as OptionName] as AnyOptionSpec];
  }
  return optionEntries.find(([, spec]) => spec.aliases?.includes(wanted));
}
