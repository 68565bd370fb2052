import { join } from 'node:path';
import { ensureDirectory } from '../storage/durable-write.ts';

/** The settings the layout is computed from (a subset of a server's effective settings). */
export interface LayoutSettings {
  readonly barman_home: string;
  readonly backup_directory?: string | undefined;
  readonly basebackups_directory?: string | undefined;
  readonly errors_directory?: string | undefined;
  readonly incoming_wals_directory?: string | undefined;
  readonly streaming_wals_directory?: string | undefined;
  readonly wals_directory?: string | undefined;
  readonly barman_lock_directory?: string | undefined;
}

/** Where one server's catalog lives, Barman's layout: `<barman_home>/<server>/{base,errors,...}`. */
export interface ServerLayout {
  readonly server: string;
  readonly backupDirectory: string;
  readonly base: string;
  readonly errors: string;
  readonly incoming: string;
  readonly streaming: string;
  readonly wals: string;
  /** `wals/xlog.db`, the index of archived WAL files. */
  readonly xlogDb: string;
  /** `identity.json`, the system identifier and version learned on first contact. */
  readonly identityFile: string;
  /** Where lock files go (`barman_lock_directory`, default `barman_home`). */
  readonly lockDirectory: string;
}

/** The operations that take a per-server lock; the names are Barman's lock file names. */
export type LockOperation =
  | 'backup'
  | 'archive-wal'
  | 'receive-wal'
  | 'retention'
  | 'cron'
  | 'xlogdb';

/**
 * Computes a server's directories from its settings: each `*_directory` key overrides its
 * default under `backup_directory`, which defaults to `<barman_home>/<server>`.
 */
export function serverLayout(server: string, settings: LayoutSettings): ServerLayout {
  const backupDirectory = settings.backup_directory ?? join(settings.barman_home, server);
  const wals = settings.wals_directory ?? join(backupDirectory, 'wals');
  return {
    server,
    backupDirectory,
    base: settings.basebackups_directory ?? join(backupDirectory, 'base'),
    errors: settings.errors_directory ?? join(backupDirectory, 'errors'),
    incoming: settings.incoming_wals_directory ?? join(backupDirectory, 'incoming'),
    streaming: settings.streaming_wals_directory ?? join(backupDirectory, 'streaming'),
    wals,
    xlogDb: join(wals, 'xlog.db'),
    identityFile: join(backupDirectory, 'identity.json'),
    lockDirectory: settings.barman_lock_directory ?? settings.barman_home,
  };
}

/** The catalog directories of a layout, in creation order. */
export function layoutDirectories(layout: ServerLayout): string[] {
  return [
    layout.backupDirectory,
    layout.base,
    layout.errors,
    layout.incoming,
    layout.streaming,
    layout.wals,
  ];
}

/** Creates the server's catalog directories (mode 0700) that do not exist yet. */
export async function ensureServerLayout(layout: ServerLayout): Promise<void> {
  for (const directory of layoutDirectories(layout)) await ensureDirectory(directory, 0o700);
}

/** The lock file of one operation on one server, named as Barman names it. */
export function lockPath(layout: ServerLayout, operation: LockOperation): string {
  return join(layout.lockDirectory, `.${layout.server}-${operation}.lock`);
}
