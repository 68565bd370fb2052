/**
 * Barman's documented options that the barkeep contract does not name. barkeep accepts every
 * one of them so an unchanged Barman file loads, but honours none yet: all rows are `planned`
 * and using one produces a "not implemented yet" warning. Values are still checked with typed
 * parsers, so a typo is reported now rather than when the feature arrives.
 */

import { option } from './option-spec.ts';
import { connection, hook, text } from './option-table-helpers.ts';
import {
  enumListParser,
  enumParser,
  integerParser,
  parseAbsolutePath,
  parseAge,
  parseBoolean,
  parseCompressionLevel,
  parseSize,
  parseString,
  parseTablespaceBandwidth,
} from './value-parsers.ts';

/** Rows for Barman's other documented options; all planned. */
export const barmanExtraOptions = {
  // --- Global section -------------------------------------------------------------------------
  barman_user: text('global', 'System user Barman insists on running as.'),
  config_changes_queue: text(
    'global',
    'File queuing configuration changes sent by config-update; barman_home/cfg_changes.queue when unset.',
  ),
  lock_directory_cleanup: option({
    scope: 'global',
    status: 'planned',
    parse: parseBoolean,
    default: 'true',
    doc: 'Remove stale lock files from the lock directory during cron.',
  }),
  log_format: text(
    'global',
    'Python logging format string for log lines (read by Barman, rarely set).',
  ),

  // --- General ---------------------------------------------------------------------------------
  archiver_batch_size: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    default: '0',
    doc: 'Most incoming WAL files handled per archiver run; 0 means no limit.',
  }),
  streaming_archiver_batch_size: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    default: '0',
    doc: 'Most streamed WAL files handled per archiver run; 0 means no limit.',
  }),
  streaming_archiver_name: option({
    scope: 'global-server',
    status: 'implemented',
    parse: parseString,
    default: 'barkeep_receive_wal',
    doc: 'application_name the WAL receiver reports to PostgreSQL.',
  }),
  streaming_backup_name: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseString,
    default: 'barkeep_streaming_backup',
    doc: 'application_name a streamed base backup reports to PostgreSQL.',
  }),
  bandwidth_limit: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    default: '0',
    doc: 'Transfer cap in KB/s for backup and recovery copies; 0 means unlimited.',
  }),
  tablespace_bandwidth_limit: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseTablespaceBandwidth,
    doc: 'Per-tablespace transfer caps as NAME:KBPS pairs (rsync backups only).',
  }),
  check_timeout: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    default: '30',
    doc: 'Seconds the check command may spend on one server; 0 disables the limit.',
  }),
  cluster: text(
    'server',
    'Cluster name tying the server to configuration models; the server name when unset.',
  ),
  model: option({
    scope: 'server',
    status: 'planned',
    parse: parseBoolean,
    doc: 'Marks the section as a configuration model rather than a server.',
  }),
  forward_config_path: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseBoolean,
    default: 'false',
    doc: 'A passive node passes its -c configuration path on to the primary Barman.',
  }),
  keepalive_interval: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    default: '60',
    doc: 'Seconds between keep-alive queries on the database connection during rsync backups; 0 disables them.',
  }),
  network_compression: option({
    scope: 'global-server',
    status: 'implemented',
    parse: parseBoolean,
    default: 'false',
    doc: 'Compress rsync traffic during backup and recovery.',
  }),
  parallel_jobs_start_batch_period: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    default: '1',
    doc: 'Seconds over which one batch of parallel copy workers is started.',
  }),
  parallel_jobs_start_batch_size: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(1),
    default: '10',
    doc: 'Most parallel copy workers started within one batch period.',
  }),
  primary_conninfo: connection(
    'Connection string to the primary when backups are taken from a standby.',
  ),
  primary_checkpoint_timeout: option({
    scope: 'server',
    status: 'planned',
    parse: integerParser(0),
    default: '0',
    doc: 'Seconds to wait for a new WAL file during a standby backup before forcing a checkpoint on the primary; 0 never forces.',
  }),
  primary_ssh_command: text(
    'global-server',
    'Command that reaches the primary Barman host when this one is a passive copy.',
  ),
  encryption: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumParser(['none', 'gpg']),
    default: 'none',
    doc: 'Encryption of backups and WAL files: none or gpg.',
  }),
  encryption_key_id: text('global-server', 'GPG key id or recipient used for encryption.'),
  encryption_passphrase_command: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseString,
    secret: true,
    doc: 'Command printing the passphrase that unlocks the GPG private key for restores.',
  }),

  // --- Backups ---------------------------------------------------------------------------------
  autogenerate_manifest: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseBoolean,
    default: 'false',
    doc: 'Write a backup_manifest after each rsync backup.',
  }),
  backup_compression_format: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumParser(['plain', 'tar']),
    default: 'tar',
    doc: 'Whether compressed base backups are stored as tar files or unpacked (plain).',
  }),
  backup_compression_workers: option({
    scope: 'global-server',
    status: 'implemented',
    parse: integerParser(0),
    default: '0',
    doc: "zstd threads: the server's workers when it compresses, else barkeep's own when above 1; 0 means the backup's parallel_jobs.",
  }),
  backup_options: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumListParser(['exclusive_backup', 'concurrent_backup', 'external_configuration']),
    doc: 'Backup API flags: concurrent_backup or exclusive_backup, plus external_configuration.',
  }),
  basebackup_retry_times: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    default: '0',
    doc: 'Retries of a failed base backup copy.',
  }),
  basebackup_retry_sleep: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    default: '30',
    doc: 'Seconds to wait before retrying a failed base backup copy.',
  }),
  worm_mode: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseBoolean,
    default: 'off',
    doc: 'Backups and WAL live on write-once storage; skip steps that rewrite them.',
  }),

  // --- Other hook scripts ----------------------------------------------------------------------
  pre_delete_script: hook('Command run before a backup is deleted.'),
  pre_delete_retry_script: hook(
    'Command run before a backup is deleted, repeated until it succeeds or asks to abort.',
  ),
  post_delete_retry_script: hook(
    'Command run after a backup is deleted, repeated until it succeeds or asks to abort.',
  ),
  post_delete_script: hook('Command run after a backup is deleted, following the retry hook.'),
  pre_recovery_script: hook('Command run before a recovery starts.'),
  pre_recovery_retry_script: hook(
    'Command run before a recovery, repeated until it succeeds or asks to abort.',
  ),
  post_recovery_retry_script: hook(
    'Command run after a recovery, repeated until it succeeds or asks to abort.',
  ),
  post_recovery_script: hook('Command run after a recovery, following the retry hook.'),
  pre_wal_delete_script: hook('Command run before an archived WAL file is deleted.'),
  pre_wal_delete_retry_script: hook(
    'Command run before a WAL file is deleted, repeated until it succeeds or asks to abort.',
  ),
  post_wal_delete_retry_script: hook(
    'Command run after a WAL file is deleted, repeated until it succeeds or asks to abort.',
  ),
  post_wal_delete_script: hook(
    'Command run after a WAL file is deleted, following the retry hook.',
  ),

  // --- WAL ---------------------------------------------------------------------------------------
  compression_level: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseCompressionLevel,
    default: 'medium',
    doc: 'WAL compression level: low, medium, high or a number for the chosen algorithm.',
  }),
  custom_compression_filter: text(
    'global-server',
    'Shell filter that compresses stdin to stdout (compression = custom).',
  ),
  custom_decompression_filter: text(
    'global-server',
    'Shell filter that undoes custom_compression_filter.',
  ),
  custom_compression_magic: text(
    'global-server',
    'Hex bytes (0x...) that start a file made by the custom compressor.',
  ),
  last_wal_maximum_age: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseAge,
    doc: 'check fails when the newest archived WAL is older than this.',
  }),
  max_incoming_wals_queue: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    doc: 'check fails when more WAL files than this wait to be archived.',
  }),
  wal_conninfo: connection(
    'Connection string for checking the WAL slot and settings; falls back to wal_streaming_conninfo, then conninfo.',
  ),
  wal_streaming_conninfo: connection(
    'Replication connection string used only for WAL streaming; streaming_conninfo when unset.',
  ),
  xlogdb_directory: text(
    'global-server',
    'Folder for the WAL index file (SERVER-xlog.db); wals_directory when unset.',
  ),

  // --- Restore -----------------------------------------------------------------------------------
  staging_path: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseAbsolutePath,
    default: '/tmp',
    doc: 'Folder where compressed, encrypted or incremental backups are prepared during restore.',
  }),
  staging_location: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumParser(['local', 'remote']),
    default: 'local',
    doc: 'Whether staging_path is on the backup host (local) or the restore target (remote).',
  }),
  combine_mode: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumParser(['copy', 'link', 'clone', 'copy-file-range']),
    default: 'copy',
    doc: 'How pg_combinebackup writes files when rebuilding an incremental chain.',
  }),
  local_staging_path: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseAbsolutePath,
    doc: 'Older setting: backup-host folder for combining or decrypting backups during restore.',
  }),
  recovery_staging_path: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseAbsolutePath,
    doc: 'Older setting: target-host folder for unpacking compressed backups during restore.',
  }),

  // --- Retention ---------------------------------------------------------------------------------
  retention_policy_mode: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumParser(['auto']),
    default: 'auto',
    doc: 'How retention is enforced; only auto.',
  }),
  last_backup_minimum_size: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseSize,
    doc: 'check fails when the newest backup is smaller than this (e.g. 1 Gi).',
  }),
} as const;
