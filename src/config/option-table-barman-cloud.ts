/**
 * Barman's options for cloud backups: disk-snapshot backups (backup_method = snapshot, Barman
 * 3.5 and later) and backups written to object storage (Barman 3.18 and later). barkeep writes
 * neither yet, so every row is `planned`; the rows exist so Barman files using them load.
 */

import { option } from './option-spec.ts';
import { text } from './option-table-helpers.ts';
import { enumParser, integerParser, parseNameList, parseSize } from './value-parsers.ts';

/** Rows for Barman's cloud snapshot and object storage options; all planned. */
export const barmanCloudOptions = {
  // --- Cloud snapshot backups ------------------------------------------------------------------
  snapshot_provider: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumParser(['aws', 'azure', 'gcp']),
    doc: 'Cloud whose disk snapshots make up snapshot backups: aws, azure or gcp.',
  }),
  snapshot_instance: text('server', 'Cloud VM whose disks are snapshotted.'),
  snapshot_disks: option({
    scope: 'server',
    status: 'planned',
    parse: parseNameList,
    doc: 'Comma-separated disks included in a snapshot backup.',
  }),
  snapshot_gcp_project: text('global-server', 'Older spelling of gcp_project.'),
  snapshot_zone: text('server', 'Older spelling of gcp_zone.'),
  gcp_project: text('global-server', 'GCP project owning the instance and disks.'),
  gcp_zone: text('server', 'GCP zone of the instance and disks.'),
  azure_credential: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumParser(['azure-cli', 'managed-identity', 'default']),
    doc: 'Azure credential type: azure-cli, managed-identity or default.',
  }),
  azure_resource_group: text(
    'global-server',
    'Azure resource group holding the instance and disks.',
  ),
  azure_subscription_id: text('global-server', 'Azure subscription owning the instance and disks.'),
  aws_profile: text('global-server', 'AWS credentials profile to authenticate with.'),
  aws_region: text('global-server', 'AWS region of the instance, volumes or bucket.'),
  aws_await_snapshots_timeout: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(1),
    default: '3600',
    doc: 'Seconds to wait for AWS snapshots to complete.',
  }),
  aws_snapshot_lock_mode: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumParser(['compliance', 'governance']),
    doc: 'AWS snapshot lock mode: compliance or governance.',
  }),
  aws_snapshot_lock_duration: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(1),
    doc: 'Days an AWS snapshot stays locked (instead of an expiration date).',
  }),
  aws_snapshot_lock_cool_off_period: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(1),
    doc: 'Hours during which a compliance lock can still be changed.',
  }),
  aws_snapshot_lock_expiration_date: text(
    'global-server',
    'Timestamp until which an AWS snapshot stays locked (instead of a duration).',
  ),

  // --- Backups to object storage (Barman 3.18 and later) ---------------------------------------
  aws_encryption: option({
    scope: 'global-server',
    status: 'planned',
    parse: enumParser(['aes256', 'aws:kms']),
    doc: 'S3 server-side encryption: AES256 or aws:kms.',
  }),
  aws_sse_kms_key_id: text('global-server', 'KMS key for S3 server-side encryption with aws:kms.'),
  aws_read_timeout: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    doc: 'Seconds before an S3 read gives up.',
  }),
  cloud_staging_directory: text(
    'global-server',
    'Local folder where chunks of a cloud-bound backup wait for upload.',
  ),
  cloud_staging_max_size: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseSize,
    doc: 'Most space the cloud staging folder may use (e.g. 30Gi).',
  }),
  cloud_upload_max_archive_size: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseSize,
    doc: 'Largest single archive uploaded to object storage.',
  }),
  cloud_upload_min_chunk_size: option({
    scope: 'global-server',
    status: 'planned',
    parse: parseSize,
    doc: 'Smallest part of a multipart upload.',
  }),
  cloud_delete_batch_size: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(1),
    doc: 'Objects deleted per request in object storage.',
  }),
  cloud_wal_archive_parallel: option({
    scope: 'global-server',
    status: 'planned',
    parse: integerParser(0),
    default: '0',
    doc: 'WAL files cloud-wal-archive uploads at once; 0 or 1 means one at a time.',
  }),
} as const;
