import type { Settings } from '../config/settings.ts';
import type { BackupStorage } from './receive-base-backup.ts';

/**
 * How a backup is stored, from the server's settings and version: plain (unpacked) without
 * `backup_compression`; otherwise tar archives compressed on the server when
 * `backup_compression_location = server` and the server can (PostgreSQL 15+), else compressed by
 * barkeep as the archives arrive. zstd runs `workers` threads: `backup_compression_workers`
 * (Barman's key) when set, else the backup's `-j` / `parallel_jobs`.
 */
export function chooseBackupStorage(
  settings: Settings,
  serverVersionNum: number,
  jobs: number,
): BackupStorage {
  const format = settings.backup_compression;
  if (format === undefined || format === 'none') return { kind: 'plain' };
  const level = settings.backup_compression_level;
  const onServer = settings.backup_compression_location === 'server' && serverVersionNum >= 150000;
  const workers = Math.max(1, settings.backup_compression_workers || jobs);
  return {
    kind: 'compressed',
    format,
    onServer,
    workers,
    ...(level !== undefined ? { level } : {}),
  };
}

/**
 * The COMPRESSION_DETAIL for server-side compression: level and, for zstd with more than one
 * worker, the server's threads (as pg_basebackup's `--compress=server-zstd:workers=N`).
 */
export function serverCompressionDetail(storage: BackupStorage): string | undefined {
  if (storage.kind !== 'compressed' || !storage.onServer) return undefined;
  const parts = [
    `level=${storage.level ?? (storage.format === 'zstd' ? 1 : storage.format === 'gzip' ? 6 : 1)}`,
  ];
  if (storage.format === 'zstd' && storage.workers > 1) parts.push(`workers=${storage.workers}`);
  return parts.join(',');
}
