import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readIni } from '../../src/config/ini-reader.ts';
import type { OptionValueOf } from '../../src/config/option-spec.ts';
import { findOption, type OptionName, optionTable } from '../../src/config/option-table.ts';
import { barmanCloudOptions } from '../../src/config/option-table-barman-cloud.ts';
import { barmanExtraOptions } from '../../src/config/option-table-barman-extra.ts';
import { coreOptions } from '../../src/config/option-table-core.ts';
import { ValueError } from '../../src/config/value-parsers.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The keys the contract (shared/contract.md, "Configuration") lists by name. */
const CONTRACT_KEYS = [
  'barman_home',
  'log_file',
  'log_level',
  'description',
  'active',
  'conninfo',
  'streaming_conninfo',
  'ssh_command',
  'backup_method',
  'archiver',
  'streaming_archiver',
  'slot_name',
  'create_slot',
  'compression',
  'backup_compression',
  'backup_compression_level',
  'backup_compression_location',
  'parallel_jobs',
  'reuse_backup',
  'immediate_checkpoint',
  'retention_policy',
  'minimum_redundancy',
  'wal_retention_policy',
  'last_backup_maximum_age',
  'path_prefix',
  'recovery_options',
  'incoming_wals_directory',
  'streaming_wals_directory',
  'errors_directory',
  'basebackups_directory',
  'wals_directory',
  'pre_backup_script',
  'post_backup_script',
  'pre_archive_script',
  'post_archive_script',
  'pre_backup_retry_script',
  'post_backup_retry_script',
  'pre_archive_retry_script',
  'post_archive_retry_script',
  'configuration_files_directory',
] as const;

/** The only options barkeep honours today. */
const IMPLEMENTED = [
  'barman_home',
  'configuration_files_directory',
  'log_file',
  'log_level',
  'description',
  'active',
  'conninfo',
  'streaming_conninfo',
  'archiver',
  'streaming_archiver',
  'backup_directory',
  'basebackups_directory',
  'wals_directory',
  'incoming_wals_directory',
  'streaming_wals_directory',
  'errors_directory',
  'barman_lock_directory',
  'compression',
  'slot_name',
  'create_slot',
  'streaming_archiver_name',
  'backup_compression',
  'backup_compression_level',
  'backup_compression_location',
  'backup_compression_workers',
  'immediate_checkpoint',
  'parallel_jobs',
  'minimum_redundancy',
  'backup_method',
  'ssh_command',
  'reuse_backup',
  'network_compression',
  'retention_policy',
  'wal_retention_policy',
  'pre_backup_script',
  'pre_backup_retry_script',
  'post_backup_retry_script',
  'post_backup_script',
  'pre_archive_script',
  'pre_archive_retry_script',
  'post_archive_retry_script',
  'post_archive_script',
];

/** barkeep's own options (not Barman's), documented in the README. */
const OURS = ['retention_gfs', 'backup_schedule', 'serve_listen'];

const entries = Object.entries(optionTable);

/** Calls a parser and returns the ValueError it throws (fails when it does not throw one). */
function rejection(name: OptionName, raw: string): ValueError {
  try {
    optionTable[name].parse(raw);
  } catch (error) {
    assert.ok(error instanceof ValueError, `${name}: expected a ValueError for '${raw}'`);
    return error;
  }
  assert.fail(`${name} accepted '${raw}'`);
}

// Compile-time checks: these lines only type-check if the table keeps its precise types.
const activeValue: OptionValueOf<(typeof optionTable)['active']> = true;
const conninfoValue: OptionValueOf<(typeof optionTable)['conninfo']> = undefined;
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const activeIsBoolean: Equal<OptionValueOf<(typeof optionTable)['active']>, boolean> = true;
const conninfoIsOptional: Equal<
  OptionValueOf<(typeof optionTable)['conninfo']>,
  string | undefined
> = true;
const methodIsEnum: Equal<
  OptionValueOf<(typeof optionTable)['backup_method']>,
  'postgres' | 'rsync' | 'local-rsync' | 'snapshot' | 'local-to-cloud'
> = true;

describe('option table', () => {
  it('keeps its value types (checked by tsc)', () => {
    assert.equal(activeValue, true);
    assert.equal(conninfoValue, undefined);
    assert.ok(activeIsBoolean && conninfoIsOptional && methodIsEnum);
  });

  it('uses lower-case snake_case keys and aliases', () => {
    for (const [name, spec] of entries) {
      assert.match(name, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, name);
      for (const alias of spec.aliases ?? []) assert.match(alias, /^[a-z][a-z0-9_]*$/, alias);
    }
  });

  it('has no key in two source files and no alias colliding with a key or another alias', () => {
    const parts = [coreOptions, barmanExtraOptions, barmanCloudOptions].map(Object.keys);
    const all = parts.flat();
    assert.deepEqual(
      all.filter((name, index) => all.indexOf(name) !== index),
      [],
    );
    assert.equal(entries.length, all.length);
    const seen = new Map<string, string>(entries.map(([name]) => [name, name]));
    for (const [name, spec] of entries) {
      for (const alias of spec.aliases ?? []) {
        assert.ok(!seen.has(alias), `alias '${alias}' of ${name} collides with ${seen.get(alias)}`);
        seen.set(alias, `alias of ${name}`);
      }
    }
  });

  it('parses every default with its own parser', () => {
    for (const [name, spec] of entries) {
      if (spec.default === undefined) continue;
      assert.doesNotThrow(() => spec.parse(spec.default!), `default of ${name}`);
    }
  });

  it('has a one-sentence doc on every row', () => {
    for (const [name, spec] of entries) {
      assert.ok(spec.doc.length > 10 && spec.doc.length < 160, `doc of ${name}`);
      assert.match(spec.doc, /\.$/, `doc of ${name} ends with a full stop`);
      assert.doesNotMatch(spec.doc, /\n/, `doc of ${name} is one line`);
    }
  });

  it('contains every key the contract names', () => {
    const missing = CONTRACT_KEYS.filter((name) => !(name in optionTable));
    assert.deepEqual(missing, []);
  });

  it('marks exactly the honoured options as implemented, ours as ours, and the rest as planned', () => {
    const implemented = entries
      .filter(([, spec]) => spec.status === 'implemented')
      .map(([name]) => name);
    assert.deepEqual(implemented.sort(), [...IMPLEMENTED].sort());
    for (const [name, spec] of entries) {
      if (OURS.includes(name)) assert.equal(spec.status, 'ours', name);
      else if (!IMPLEMENTED.includes(name)) assert.equal(spec.status, 'planned', name);
    }
  });

  it('gives directory options no default', () => {
    for (const [name, spec] of entries) {
      if (name.endsWith('_directory')) {
        assert.equal(spec.default, undefined, name);
      }
    }
  });

  it('marks connection strings as secret', () => {
    for (const name of [
      'conninfo',
      'streaming_conninfo',
      'primary_conninfo',
      'wal_conninfo',
      'wal_streaming_conninfo',
    ] as const) {
      assert.equal(optionTable[name].secret, true, name);
    }
    assert.notEqual(optionTable.description.secret, true);
  });

  it('uses barkeep defaults where the contract decides', () => {
    assert.equal(optionTable.backup_method.default, 'postgres');
    assert.equal(optionTable.streaming_archiver_name.default, 'barkeep_receive_wal');
    assert.equal(optionTable.streaming_backup_name.default, 'barkeep_streaming_backup');
    assert.equal(optionTable.barman_home.default, '/var/lib/barman');
    assert.equal('default' in optionTable.log_file, false);
  });

  it('scopes options as Barman documents them', () => {
    assert.equal(optionTable.barman_home.scope, 'global');
    assert.equal(optionTable.log_level.scope, 'global');
    assert.equal(optionTable.conninfo.scope, 'server');
    assert.equal(optionTable.ssh_command.scope, 'server');
    assert.equal(optionTable.wals_directory.scope, 'server');
    assert.equal(optionTable.retention_policy.scope, 'global-server');
    assert.equal(optionTable.post_backup_script.scope, 'global-server');
  });

  it('finds options by name or alias, case-insensitively', () => {
    assert.equal(findOption('home')?.[0], 'barman_home');
    assert.equal(findOption('Barman_Home')?.[0], 'barman_home');
    assert.equal(findOption('retention_policy')?.[0], 'retention_policy');
    assert.equal(findOption('no_such_option'), undefined);
    assert.equal(findOption('toString'), undefined);
  });
});

describe('typed parsers on sample keys', () => {
  it('accept Barman spellings', () => {
    assert.equal(optionTable.active.parse('OFF'), false);
    assert.equal(optionTable.archiver.parse('on'), true);
    assert.equal(optionTable.log_level.parse('INFO'), 'info');
    assert.equal(optionTable.log_level.parse('WARN'), 'warning');
    assert.equal(optionTable.backup_method.parse('Local-Rsync'), 'local-rsync');
    assert.equal(optionTable.backup_method.parse('snapshot'), 'snapshot');
    assert.equal(optionTable.compression.parse('pigz'), 'gzip');
    assert.equal(optionTable.compression.parse('pygzip'), 'gzip');
    assert.equal(optionTable.compression.parse('zstd'), 'zstd');
    assert.equal(optionTable.compression_level.parse('-5'), -5);
    assert.equal(optionTable.compression_level.parse('High'), 'high');
    assert.equal(optionTable.backup_compression_level.parse('9'), 9);
    assert.deepEqual(optionTable.retention_policy.parse('RECOVERY WINDOW OF 4 WEEKS'), {
      kind: 'recovery-window',
      count: 4,
      unit: 'weeks',
    });
    assert.deepEqual(optionTable.last_backup_maximum_age.parse('1 WEEK'), {
      count: 1,
      unit: 'weeks',
    });
    assert.deepEqual(optionTable.last_wal_maximum_age.parse('12 hours'), {
      count: 12,
      unit: 'hours',
    });
    assert.equal(optionTable.last_backup_minimum_size.parse('1 Gi'), 1024 ** 3);
    assert.deepEqual(optionTable.recovery_options.parse('get-wal'), ['get-wal']);
    assert.deepEqual(
      optionTable.backup_options.parse('concurrent_backup, external_configuration'),
      ['concurrent_backup', 'external_configuration'],
    );
    assert.deepEqual(optionTable.tablespace_bandwidth_limit.parse('tbs1:1000, tbs2:500'), {
      tbs1: 1000,
      tbs2: 500,
    });
    assert.equal(optionTable.slot_name.parse('Barman_Slot'), 'barman_slot');
    assert.deepEqual(optionTable.snapshot_disks.parse('disk-1,disk-2'), ['disk-1', 'disk-2']);
    assert.equal(optionTable.conninfo.parse('  host=pg user=barman '), 'host=pg user=barman');
  });

  it('reject bad values with a ValueError', () => {
    const bad: [OptionName, string][] = [
      ['active', 'maybe'],
      ['archiver', '2'],
      ['backup_method', 'pg_dump'],
      ['create_slot', 'always'],
      ['backup_compression', 'bzip2'],
      ['backup_compression_level', 'fast'],
      ['backup_compression_location', 'cloud'],
      ['backup_compression_format', 'zip'],
      ['parallel_jobs', '0'],
      ['parallel_jobs', 'two'],
      ['reuse_backup', 'hardlink'],
      ['retention_policy', 'KEEP 3'],
      ['retention_policy', 'REDUNDANCY 0'],
      ['minimum_redundancy', '-1'],
      ['wal_retention_policy', 'simple'],
      ['last_backup_maximum_age', '7'],
      ['last_backup_minimum_size', 'big'],
      ['recovery_options', 'get-wal, fetch-all'],
      ['backup_options', 'exclusive'],
      ['log_level', 'verbose'],
      ['retention_policy_mode', 'manual'],
      ['check_timeout', '30s'],
      ['bandwidth_limit', '10MB'],
      ['basebackup_retry_times', '-2'],
      ['keepalive_interval', 'never'],
      ['slot_name', 'barman-slot'],
      ['staging_path', 'relative/dir'],
      ['compression_level', 'max'],
      ['tablespace_bandwidth_limit', 'tbs1=1000'],
      ['snapshot_disks', 'disk-1,,disk-2'],
      ['encryption', 'aes'],
    ];
    for (const [name, raw] of bad) rejection(name, raw);
  });

  it('refuses WAL formats barkeep cannot write, saying what it supports', () => {
    for (const format of ['bzip2', 'pybzip2', 'xz', 'snappy', 'custom']) {
      const error = rejection('compression', format);
      assert.match(error.message, /cannot write/);
      assert.match(error.message, /gzip, zstd, lz4, none/);
    }
    assert.match(rejection('compression', 'brotli').message, /not one of/);
  });
});

describe('realistic Barman fixture', () => {
  const sections = [
    ...readIni(readFileSync(join(FIXTURES, 'barman-realistic.conf'), 'utf8'), 'barman.conf'),
    ...readdirSync(join(FIXTURES, 'barman.d'))
      .filter((name) => name.endsWith('.conf'))
      .flatMap((name) =>
        readIni(readFileSync(join(FIXTURES, 'barman.d', name), 'utf8'), `barman.d/${name}`),
      ),
  ];

  it('uses only known keys, each in a section its scope allows', () => {
    assert.ok(sections.length >= 4, 'global section plus at least three servers');
    for (const section of sections) {
      const global = section.name === 'barman';
      for (const entry of section.entries.values()) {
        const found = findOption(entry.key);
        assert.ok(found, `${entry.file}:${entry.line}: unknown key ${entry.key}`);
        const scope = found[1].scope;
        assert.ok(
          global ? scope !== 'server' : scope !== 'global',
          `${entry.file}:${entry.line}: ${entry.key} (${scope}) in [${section.name}]`,
        );
      }
    }
  });

  it('has values every parser accepts once interpolated', () => {
    const globals = sections.find((section) => section.name === 'barman')!;
    const lookup = (section: (typeof sections)[number], key: string): string | undefined =>
      section.entries.get(key)?.value ?? globals.entries.get(key)?.value;
    for (const section of sections) {
      for (const entry of section.entries.values()) {
        const value = entry.value
          .replace(/%\((\w+)\)s/g, (_, key: string) => lookup(section, key) ?? `<${key}>`)
          .replaceAll('@FIXTURES@', FIXTURES);
        assert.doesNotMatch(value, /<\w+>/, `${entry.key}: unresolved interpolation`);
        const [, spec] = findOption(entry.key)!;
        const unquoted = value.replace(/^(["'])(.*)\1$/s, '$2');
        assert.doesNotThrow(() => spec.parse(unquoted), `${entry.file}:${entry.line} ${entry.key}`);
      }
    }
  });

  it('exercises planned options, an interpolation and a continuation line', () => {
    const all = sections.flatMap((section) => [...section.entries.values()]);
    assert.ok(all.some((entry) => entry.value.includes('%(barman_home)s')));
    assert.ok(all.some((entry) => entry.value.includes('\n')));
    const planned = all.filter((entry) => findOption(entry.key)![1].status === 'planned');
    assert.ok(planned.length >= 15, `only ${planned.length} planned keys used`);
    const conf = sections.find((section) => section.name === 'barman')!;
    assert.equal(conf.entries.get('configuration_files_directory')?.value, '@FIXTURES@/barman.d');
  });
});
