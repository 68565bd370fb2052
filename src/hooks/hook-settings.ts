import type { Settings } from '../config/settings.ts';

/** The operations with hook scripts barkeep runs. */
export type HookedOperation = 'backup' | 'archive';

/** The scripts of one phase: the plain one and the retry one, each optional. */
export interface PhaseScripts {
  readonly script: string | undefined;
  readonly retryScript: string | undefined;
}

/** The hook scripts configured for one operation of one server. */
export interface HookScripts {
  readonly operation: HookedOperation;
  readonly pre: PhaseScripts;
  readonly post: PhaseScripts;
  /** The configuration file, for `BARMAN_CONFIGURATION`. */
  readonly configFile: string;
}

/** The settings the hooks are read from (a server's effective settings). */
type HookSettingsSource = Pick<
  Settings,
  | 'pre_backup_script'
  | 'pre_backup_retry_script'
  | 'post_backup_retry_script'
  | 'post_backup_script'
  | 'pre_archive_script'
  | 'pre_archive_retry_script'
  | 'post_archive_retry_script'
  | 'post_archive_script'
>;

/**
 * The hook scripts of an operation (`pre_/post_<operation>_script` and their `_retry_`
 * variants), or undefined when none is set, so that callers load and spawn nothing at all for
 * an operation without hooks (put-wal's hot path). This module is cheap to import on purpose;
 * the runners live in backup-hooks.ts and archive-hooks.ts.
 */
export function configuredHooks(
  settings: HookSettingsSource,
  operation: HookedOperation,
  configFile: string,
): HookScripts | undefined {
  const value = (key: keyof HookSettingsSource) => {
    const text = settings[key]?.trim();
    return text ? text : undefined;
  };
  const pre = {
    script: value(`pre_${operation}_script`),
    retryScript: value(`pre_${operation}_retry_script`),
  };
  const post = {
    script: value(`post_${operation}_script`),
    retryScript: value(`post_${operation}_retry_script`),
  };
  if (!pre.script && !pre.retryScript && !post.script && !post.retryScript) return undefined;
  return { operation, pre, post, configFile };
}
