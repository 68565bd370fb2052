import { resolveBackup } from '../catalog/backup-catalog.ts';
import { type KeepTarget, keepTarget, releaseKeep, setKeepTarget } from '../catalog/backup-keep.ts';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { BarkeepError } from '../errors/barkeep-error.ts';

/** What `keep` is asked to do: report, release, or keep with a recovery target. */
export type KeepAction =
  | { readonly kind: 'status' }
  | { readonly kind: 'release' }
  | { readonly kind: 'keep'; readonly target: KeepTarget };

/** The backup concerned and its keep target once the action is done. */
export interface KeepOutcome {
  readonly backupId: string;
  readonly target: KeepTarget | undefined;
}

/**
 * `keep SERVER ID --target full|standalone | --release | --status`, as Barman's: marks a
 * backup as an archival backup that retention never deletes (`full`: all WAL from it on stays;
 * `standalone`: only its begin..end WAL stays, enough to restore it as it ended), releases the
 * mark, or reports it. Only DONE backups can be kept (an incremental one cannot: it is not
 * usable alone); releasing or asking about any backup is allowed. The annotation is Barman's
 * file `base/<id>/annotations/keep`, so either tool sees the other's keeps. No lock is taken,
 * as in Barman: a retention pass reads the annotation again just before deleting a backup.
 */
export async function keepBackup(
  server: ServerConfig,
  selector: string,
  action: KeepAction,
): Promise<KeepOutcome> {
  const layout = serverLayout(server.name, server.settings);
  const info = await resolveBackup(layout, selector);
  const backupId = info.backup_id;
  if (action.kind === 'status') return { backupId, target: await keepTarget(layout, backupId) };
  if (action.kind === 'release') {
    await releaseKeep(layout, backupId);
    return { backupId, target: undefined };
  }
  const refuse = (why: string) =>
    new BarkeepError('operationFailed', {
      what: 'cannot keep backup',
      subject: backupId,
      why,
      hint: `Choose a DONE backup; 'barkeep list-backups ${server.name}' shows them.`,
    });
  if (info.status !== 'DONE')
    throw refuse(`it has status ${info.status}; only backups with status DONE can be kept`);
  if (info.parent_backup_id)
    throw refuse(`it is an incremental backup of ${info.parent_backup_id}; keep a full backup`);
  await setKeepTarget(layout, backupId, action.target);
  return { backupId, target: action.target };
}
