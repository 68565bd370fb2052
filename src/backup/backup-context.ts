import type { BackupInfo } from '../catalog/backup-info.ts';
import type { BackupPaths } from '../catalog/backup-paths.ts';
import type { ServerLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import type { Logger } from '../logging/logger.ts';
import type { ProgressListener } from './receive-base-backup.ts';

/** What `backup` is asked for beyond the server's settings. */
export interface BackupRequest {
  readonly name?: string | undefined;
  /** Fast checkpoint (also `immediate_checkpoint = on`). */
  readonly immediateCheckpoint?: boolean;
  /** Workers: server-side zstd workers, rsync processes, files synced at once. */
  readonly jobs?: number;
  /** `--reuse-backup`, over `reuse_backup` (rsync methods only). */
  readonly reuseBackup?: 'off' | 'copy' | 'link';
  readonly logger: Logger;
  readonly onProgress?: ProgressListener;
  /** A phase begins: told once per step, for the log and non-terminal output. */
  readonly onPhase?: (phase: string) => void;
}

/**
 * What a backup method gets from the shared part of `runBackup`: the backup ID is claimed,
 * backup.info says STARTED, the process is recorded and the lock is held. The method copies the
 * cluster into `paths` and returns the DONE backup.info (not yet written: runBackup writes it).
 */
export interface BackupContext {
  readonly server: ServerConfig;
  readonly conninfo: string;
  readonly layout: ServerLayout;
  readonly paths: BackupPaths;
  /** backup.info as written with STARTED. */
  readonly started: BackupInfo;
  readonly request: BackupRequest;
  /** The logger bound to the server. */
  readonly logger: Logger;
  readonly phase: (text: string) => void;
}
