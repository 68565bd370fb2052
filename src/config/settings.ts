import type { OptionValueOf } from './option-spec.ts';
import type { optionTable } from './option-table.ts';

/** The canonical name of a configuration option (Barman's name). */
export type OptionName = keyof typeof optionTable;

/** Every option's effective typed value for one server (or for the global section). */
export type Settings = { readonly [N in OptionName]: OptionValueOf<(typeof optionTable)[N]> };

/** Something the loader noticed that does not stop barkeep: a planned Barman key, a misplaced key. */
export interface ConfigWarning {
  readonly file: string;
  readonly line: number;
  readonly key: string;
  readonly message: string;
}

/** One server section after loading. */
export interface ServerConfig {
  /** The section name: the label used on the command line and as the catalog directory. */
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly settings: Settings;
}

/** The whole configuration: the file(s) read, the global settings, the servers in file order. */
export interface BarkeepConfig {
  /** The main file. */
  readonly file: string;
  /** Every file read: the main one, then `configuration_files_directory/*.conf` in name order. */
  readonly files: readonly string[];
  /** `barkeep` or `barman`, or undefined when the main file has no global section. */
  readonly globalSection: string | undefined;
  readonly global: Settings;
  readonly servers: ReadonlyMap<string, ServerConfig>;
  readonly warnings: readonly ConfigWarning[];
}
