/**
 * The options the barkeep contract names: every key barkeep honours today, plus the Barman keys
 * the contract promises (most of them still `planned`). Barman's other documented options live
 * in option-table-barman-extra.ts; option-table.ts merges both into the one table.
 *
 * Defaults are the raw text as Barman documents it, except where the barkeep contract decides
 * otherwise (`backup_method` defaults to `postgres`; the streaming application names say
 * barkeep). Directory options have no default here: the catalog derives them from
 * `barman_home` and the server name.
 */

import { parseGfsSchedule } from '../retention/gfs-schedule.ts';
import { parseBackupSchedule } from '../serve/backup-schedule.ts';
import { parseListenAddress } from '../serve/listen-address.ts';
import { option } from './option-spec.ts';
import { anyInteger, hook } from './option-table-helpers.ts';
import {
  enumListParser,
  enumParser,
  integerParser,
  parseAge,
  parseBoolean,
  parseRetentionPolicy,
  parseSlotName,
  parseString,
  parseWalCompression,
} from './value-parsers.ts';

/** Rows for the contract's keys and for everything barkeep already implements. */
export const coreOptions = {
  // --- Global section -------------------------------------------------------------------------
  barman_home: option({
    scope: 'global',
    status: 'implemented',
    parse: parseString,
    default: '/var/lib/barman',
    aliases: ['home'],
    doc: 'Top directory under which every server keeps its own catalog.',
  }),
  configuration_files_directory: option({
    scope: 'global',
    status: 'implemented',
    parse: parseString,
    doc: 'Folder whose *.conf files are read for further server sections.',
  }),
  barman_lock_directory: option({
    scope: 'global',
    status: 'implemented',
    parse: parseString,
    doc: 'Folder for lock files; barman_home when unset, and best kept on a local disk.',
  }),
  log_file: option({
    scope: 'global',
    status: 'implemented',
    parse: parseString,
    doc: 'File that receives the log; without it barkeep logs to stderr.',
  }),
  log_level: option({
    scope: 'global',
    status: 'implemented',
    parse: enumParser(['debug', 'info', 'warning', 'error', 'critical'], {
      warn: 'warning',
      fatal: 'critical',
    }),
    default: 'info',
    doc: 'Least severe log level written: debug, info, warning, error or critical.',
  }),

  // --- Server identity and connections ---------------------------------------------------------
  description: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    doc: 'Free text that says what the server is.',
  }),
  active: option({
    scope: 'server',
    status: 'implemented',
    parse: parseBoolean,
    default: 'true',
    doc: 'When off, the server is only diagnosed: no backups, archiving or streaming.',
  }),
  conninfo: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    secret: true,
    doc: 'libpq connection string for the monitoring and control connection.',
  }),
  streaming_conninfo: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    secret: true,
    doc: 'libpq connection string for replication (WAL streaming, base backups); conninfo when unset.',
  }),
  ssh_command: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    doc: 'Command that opens a shell on the database host, for rsync backups.',
  }),
  path_prefix: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseString,
    doc: 'Colon-separated folders searched before PATH for PostgreSQL and other tools.',
  }),

  // --- WAL archiving and streaming -------------------------------------------------------------
  archiver: option({
    scope: 'global-server',
    status: 'implemented',
    parse: parseBoolean,
    default: 'false',
    doc: 'Take WAL files that archive_command drops into the incoming directory.',
  }),
  streaming_archiver: option({
    scope: 'global-server',
    status: 'implemented',
    parse: parseBoolean,
    default: 'false',
    doc: 'Receive WAL over the replication protocol into the streaming directory.',
  }),
  slot_name: option({
    scope: 'global-server',
    status: 'implemented',
    parse: parseSlotName,
    doc: 'Replication slot the WAL receiver uses.',
  }),
  create_slot: option({
    scope: 'global-server',
    status: 'implemented',
    parse: enumParser(['auto', 'manual']),
    default: 'manual',
    doc: 'Whether a missing replication slot is created automatically (auto) or left to you (manual).',
  }),
  compression: option({
    scope: 'global-server',
    status: 'implemented',
    parse: parseWalCompression,
    doc: 'Compression for archived WAL files: gzip, zstd, lz4 or none.',
  }),
  wal_retention_policy: option({
    scope: 'global-server',
    status: 'implemented',
    parse: enumParser(['main']),
    default: 'main',
    doc: 'How archived WAL is kept; only main, which follows the backup retention.',
  }),

  // --- Base backups ----------------------------------------------------------------------------
  backup_method: option({
    scope: 'global-server',
    status: 'implemented',
    parse: enumParser(['postgres', 'rsync', 'local-rsync', 'snapshot', 'local-to-cloud']),
    default: 'postgres',
    doc: 'How base backups are taken: postgres (replication protocol), rsync, local-rsync, snapshot or local-to-cloud.',
  }),
  backup_compression: option({
    scope: 'global-server',
    status: 'implemented',
    parse: enumParser(['gzip', 'zstd', 'lz4', 'none']),
    doc: 'Compression of streamed base backups: gzip, zstd, lz4 or none.',
  }),
  backup_compression_level: option({
    scope: 'global-server',
    status: 'implemented',
    parse: anyInteger,
    doc: 'Level handed to the base backup compressor; its valid range depends on the algorithm.',
  }),
  backup_compression_location: option({
    scope: 'global-server',
    status: 'implemented',
    parse: enumParser(['client', 'server']),
    default: 'client',
    doc: 'Whether base backups are compressed by the database server or on the backup host.',
  }),
  parallel_jobs: option({
    scope: 'global-server',
    status: 'implemented',
    parse: integerParser(1),
    default: '1',
    doc: 'Number of workers copying files during backup and recovery.',
  }),
  reuse_backup: option({
    scope: 'global-server',
    status: 'implemented',
    parse: enumParser(['off', 'copy', 'link']),
    default: 'off',
    doc: 'File-level incremental backups: off, copy unchanged files, or hard-link them.',
  }),
  immediate_checkpoint: option({
    scope: 'global-server',
    status: 'implemented',
    parse: parseBoolean,
    default: 'false',
    doc: 'Ask PostgreSQL for a fast checkpoint when a backup starts instead of a spread one.',
  }),

  // --- Retention -------------------------------------------------------------------------------
  retention_policy: option({
    scope: 'global-server',
    status: 'implemented',
    parse: parseRetentionPolicy,
    doc: 'Which backups are kept: REDUNDANCY n or RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS.',
  }),
  backup_schedule: option({
    scope: 'global-server',
    status: 'ours',
    parse: parseBackupSchedule,
    doc: "When barkeep serve takes a backup, in cron syntax ('30 2 * * *'; six fields put seconds first).",
  }),
  serve_listen: option({
    scope: 'global',
    status: 'ours',
    parse: parseListenAddress,
    default: '127.0.0.1:9187',
    doc: 'HOST:PORT where barkeep serve answers HTTP (/metrics, /api/status, status page).',
  }),
  retention_gfs: option({
    scope: 'global-server',
    status: 'ours',
    parse: parseGfsSchedule,
    doc: "barkeep's GFS retention, e.g. 7d 4w 12m: the newest backup of each of the last 7 days, 4 weeks, 12 months stays; with retention_policy, either keeps.",
  }),
  minimum_redundancy: option({
    scope: 'global-server',
    status: 'implemented',
    parse: integerParser(0),
    default: '0',
    doc: 'Backups that are never deleted, whatever the retention policy says.',
  }),
  last_backup_maximum_age: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseAge,
    doc: 'check fails when the newest backup is older than this (e.g. 1 WEEK).',
  }),

  // --- Recovery --------------------------------------------------------------------------------
  recovery_options: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumListParser(['get-wal', 'delta-restore']),
    doc: 'Recovery behaviours: get-wal writes a restore_command that fetches WAL from the archive.',
  }),

  // --- Catalog directories ---------------------------------------------------------------------
  backup_directory: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    doc: 'Root of this server in the catalog; barman_home/<server> when unset.',
  }),
  basebackups_directory: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    doc: 'Where base backups are stored; backup_directory/base when unset.',
  }),
  wals_directory: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    doc: 'Where archived WAL is stored; backup_directory/wals when unset.',
  }),
  incoming_wals_directory: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    doc: 'Where archive_command delivers WAL files; backup_directory/incoming when unset.',
  }),
  streaming_wals_directory: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    doc: 'Where streamed WAL lands before archiving; backup_directory/streaming when unset.',
  }),
  errors_directory: option({
    scope: 'server',
    status: 'implemented',
    parse: parseString,
    doc: 'Where rejected WAL files are parked for review; backup_directory/errors when unset.',
  }),

  // --- Hook scripts named by the contract ------------------------------------------------------
  pre_backup_script: hook('Command run before a base backup starts.', 'implemented'),
  pre_backup_retry_script: hook(
    'Command run before a base backup, repeated until it succeeds or asks to abort.',
    'implemented',
  ),
  post_backup_retry_script: hook(
    'Command run after a base backup, repeated until it succeeds or asks to abort.',
    'implemented',
  ),
  post_backup_script: hook(
    'Command run after a base backup, following the retry hook.',
    'implemented',
  ),
  pre_archive_script: hook('Command run before a WAL file is archived.', 'implemented'),
  pre_archive_retry_script: hook(
    'Command run before a WAL file is archived, repeated until it succeeds or asks to abort.',
    'implemented',
  ),
  post_archive_retry_script: hook(
    'Command run after a WAL file is archived, repeated until it succeeds or asks to abort.',
    'implemented',
  ),
  post_archive_script: hook(
    'Command run after a WAL file is archived, following the retry hook.',
    'implemented',
  ),
} as const;
