import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode } from '../errors/system-error.ts';
import { closestName } from './closest-name.ts';
import { type IniEntry, type IniSection, IniSyntaxError, readIni } from './ini-reader.ts';
import { InterpolationError, interpolate, type RawLookup } from './interpolate.ts';
import { type ConfigSearch, locateConfig } from './locate-config.ts';
import type { OptionSpec } from './option-spec.ts';
import { optionTable } from './option-table.ts';
import type {
  BarkeepConfig,
  ConfigWarning,
  OptionName,
  ServerConfig,
  Settings,
} from './settings.ts';
import { ValueError } from './value-parsers.ts';

const GLOBAL_SECTIONS = ['barkeep', 'barman'];
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const RESERVED_NAMES = new Set(['all']);

type Resolved = Map<OptionName, { value: unknown; entry: IniEntry }>;

/**
 * Loads and validates the configuration: finds the file (contract lookup order), reads it and
 * `configuration_files_directory/*.conf`, checks every key against the option table (unknown
 * key: error naming file, line and the closest known key; a Barman key barkeep does not
 * implement yet: a warning), interpolates `%(key)s`, parses values into typed settings and
 * applies global values as defaults for servers, as Barman does.
 */
export async function loadConfig(search: ConfigSearch = {}): Promise<BarkeepConfig> {
  const file = resolve(locateConfig(search));
  const sections = await readIniFile(file);
  const globals = sections.filter((section) => GLOBAL_SECTIONS.includes(section.name));
  if (globals.length > 1) {
    throw configError(
      'configSyntax',
      file,
      globals[1]!.line,
      'both [barkeep] and [barman] are present',
      'Keep one global section: [barkeep], or [barman] for a Barman file.',
    );
  }
  const globalSection = globals[0];
  const warnings: ConfigWarning[] = [];
  const globalRaw = rawLookup(globalSection, undefined, {});
  const globalResolved = resolveSection(globalSection, 'global', globalRaw, warnings);
  const global = buildSettings(undefined, globalResolved, 'global');

  const files = [file];
  const serverSections = sections.filter((section) => !GLOBAL_SECTIONS.includes(section.name));
  const includeDirectory = global.configuration_files_directory;
  if (includeDirectory) {
    for (const included of await listConfFiles(includeDirectory, globalResolved)) {
      files.push(included);
      for (const section of await readIniFile(included)) {
        if (GLOBAL_SECTIONS.includes(section.name)) {
          throw configError(
            'configSyntax',
            included,
            section.line,
            `a [${section.name}] section in an included file`,
            `Keep the global section in ${file}; included files hold server sections.`,
          );
        }
        serverSections.push(section);
      }
    }
  }

  const servers = new Map<string, ServerConfig>();
  for (const section of serverSections) {
    checkServerName(section, servers);
    const builtins = { name: section.name, barman_home: global.barman_home };
    const lookup = rawLookup(section, globalSection, builtins);
    const resolved = resolveSection(section, 'server', lookup, warnings);
    if (resolved.get('model' as OptionName)?.value === true) {
      warnings.push({
        file: section.file,
        line: section.line,
        key: 'model',
        message: `[${section.name}] is a Barman model; models are not supported yet and the section is ignored`,
      });
      continue;
    }
    servers.set(section.name, {
      name: section.name,
      file: section.file,
      line: section.line,
      settings: buildSettings(globalResolved, resolved, 'server'),
    });
  }
  return { file, files, globalSection: globalSection?.name, global, servers, warnings };
}

const keyIndex: ReadonlyMap<string, OptionName> = new Map(
  (Object.entries(optionTable) as [OptionName, OptionSpec<unknown>][]).flatMap(([name, spec]) => [
    [name, name] as const,
    ...(spec.aliases ?? []).map((alias) => [alias, name] as const),
  ]),
);

function resolveSection(
  section: IniSection | undefined,
  kind: 'global' | 'server',
  lookup: RawLookup,
  warnings: ConfigWarning[],
): Resolved {
  const resolved: Resolved = new Map();
  if (!section) return resolved;
  for (const entry of section.entries.values()) {
    const name = keyIndex.get(entry.key);
    if (name === undefined) {
      const near = closestName(entry.key, keyIndex.keys());
      throw configError(
        'configUnknownKey',
        entry.file,
        entry.line,
        `unknown key '${entry.key}' in [${section.name}]`,
        near
          ? `Did you mean '${near}'?`
          : 'Remove it or correct its spelling; see the README for the keys.',
      );
    }
    const spec: OptionSpec<unknown> = optionTable[name];
    const earlier = resolved.get(name);
    if (earlier) {
      throw configError(
        'configSyntax',
        entry.file,
        entry.line,
        `'${entry.key}' repeats '${earlier.entry.key}' (line ${earlier.entry.line})`,
        'Keep one of the two spellings.',
      );
    }
    const warn = (message: string) =>
      warnings.push({ file: entry.file, line: entry.line, key: entry.key, message });
    if (kind === 'global' && spec.scope === 'server') {
      warn(`'${entry.key}' has no effect in the global section; move it to a server section`);
    } else if (kind === 'server' && spec.scope === 'global') {
      warn(`'${entry.key}' has no effect in a server section; move it to [barkeep]`);
    }
    if (spec.status === 'planned') {
      warn(`'${entry.key}' is a Barman option barkeep does not implement yet; it is ignored`);
    }
    let text: string;
    try {
      text = interpolate(entry.value, lookup);
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      throw configError(
        'configInvalidValue',
        entry.file,
        entry.line,
        `'${entry.key}': ${error.message}`,
        'Write %% for a literal %, and %(key)s only for keys that are set.',
      );
    }
    resolved.set(name, { value: parseValue(name, spec, text, entry), entry });
  }
  return resolved;
}

function parseValue(
  name: OptionName,
  spec: OptionSpec<unknown>,
  text: string,
  entry: IniEntry,
): unknown {
  // As Barman: an empty value or `None` means unset here (not inherited from the global
  // section), and one pair of surrounding quotes is removed.
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'none') {
    return spec.default === undefined ? undefined : spec.parse(spec.default);
  }
  const unquoted = /^(["'])(.*)\1$/s.exec(trimmed)?.[2] ?? trimmed;
  try {
    return spec.parse(unquoted);
  } catch (error) {
    if (!(error instanceof ValueError)) throw error;
    throw configError(
      'configInvalidValue',
      entry.file,
      entry.line,
      `'${name}': ${error.message}`,
      `Fix the value of '${name}'.`,
    );
  }
}

function buildSettings(
  globalValues: Resolved | undefined,
  own: Resolved,
  kind: 'global' | 'server',
): Settings {
  const settings: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(optionTable) as [OptionName, OptionSpec<unknown>][]) {
    const fallback = spec.default === undefined ? undefined : spec.parse(spec.default);
    const ownAllowed = kind === 'global' ? spec.scope !== 'server' : spec.scope !== 'global';
    const inherited =
      kind === 'server' && spec.scope !== 'server' ? globalValues?.get(name) : undefined;
    const ownValue = ownAllowed ? own.get(name) : undefined;
    settings[name] = ownValue ? ownValue.value : inherited ? inherited.value : fallback;
  }
  return settings as Settings;
}

function rawLookup(
  section: IniSection | undefined,
  globalSection: IniSection | undefined,
  builtins: Record<string, string>,
): RawLookup {
  const fromGlobal: RawLookup = (key) => {
    const entry = findEntry(globalSection, key);
    return entry ? { value: entry.value, lookup: fromGlobal } : builtin(key);
  };
  const builtin: RawLookup = (key) =>
    key in builtins
      ? { value: builtins[key]!.replaceAll('%', '%%'), lookup: fromGlobal }
      : undefined;
  const own: RawLookup = (key) => {
    const entry = findEntry(section, key);
    return entry ? { value: entry.value, lookup: own } : fromGlobal(key);
  };
  return section === globalSection ? fromGlobal : own;
}

function findEntry(section: IniSection | undefined, key: string): IniEntry | undefined {
  if (!section) return undefined;
  const direct = section.entries.get(key);
  if (direct) return direct;
  const canonical = keyIndex.get(key);
  for (const entry of section.entries.values()) {
    if (canonical !== undefined && keyIndex.get(entry.key) === canonical) return entry;
  }
  return undefined;
}

async function readIniFile(file: string): Promise<IniSection[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BarkeepError('configMissing', {
      what: 'cannot read configuration',
      subject: file,
      why:
        errnoCode(error) === 'ENOENT'
          ? 'the file does not exist'
          : String((error as Error).message),
    });
  }
  try {
    return readIni(text, file);
  } catch (error) {
    if (!(error instanceof IniSyntaxError)) throw error;
    throw configError('configSyntax', error.file, error.line, error.reason);
  }
}

async function listConfFiles(directory: string, globalValues: Resolved): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    const entry = globalValues.get('configuration_files_directory');
    throw configError(
      'configInvalidValue',
      entry?.entry.file ?? directory,
      entry?.entry.line ?? 0,
      `configuration_files_directory '${directory}' cannot be read (${errnoCode(error) ?? 'error'})`,
      'Create the directory or fix the path.',
    );
  }
  return names
    .filter((name) => name.endsWith('.conf'))
    .sort()
    .map((name) => join(directory, name));
}

function checkServerName(section: IniSection, servers: ReadonlyMap<string, ServerConfig>): void {
  const earlier = servers.get(section.name);
  if (earlier) {
    throw configError(
      'configSyntax',
      section.file,
      section.line,
      `server [${section.name}] is already defined in ${earlier.file}:${earlier.line}`,
      'Define each server once.',
    );
  }
  if (!SERVER_NAME.test(section.name) || RESERVED_NAMES.has(section.name)) {
    throw configError(
      'configSyntax',
      section.file,
      section.line,
      `'${section.name}' cannot be a server name`,
      "Use letters, digits, '.', '_' and '-', not starting with a dot; 'all' is reserved.",
    );
  }
}

function configError(
  kind: 'configSyntax' | 'configUnknownKey' | 'configInvalidValue',
  file: string,
  line: number,
  why: string,
  hint?: string,
): BarkeepError {
  return new BarkeepError(kind, {
    what: 'invalid configuration',
    subject: `${file}:${line}`,
    why,
    ...(hint ? { hint } : {}),
  });
}
