import { lchown, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, ioError } from '../errors/system-error.ts';
import type { FileOwner } from './copy-tree.ts';
import { appendSettings, commentOutSettings, quoteConfValue } from './postgresql-conf-edit.ts';
import type { RecoveryTarget } from './recovery-target.ts';

/** The recovery parameters written into the restored cluster. */
export interface RecoverySettings {
  readonly restoreCommand: string;
  readonly target: RecoveryTarget;
  /** `--target-tli`: a number, `current` or `latest`; undefined keeps PostgreSQL's default. */
  readonly targetTimeline?: string | undefined;
  /** `--exclusive`: stop just before the target instead of just after. */
  readonly exclusive?: boolean;
  readonly targetAction?: 'pause' | 'shutdown' | 'promote' | undefined;
  /** `--standby-mode`: standby.signal instead of recovery.signal. */
  readonly standby?: boolean;
}

const RECOVERY_KEYS = [
  'restore_command',
  'recovery_target',
  'recovery_target_time',
  'recovery_target_xid',
  'recovery_target_lsn',
  'recovery_target_name',
  'recovery_target_inclusive',
  'recovery_target_timeline',
  'recovery_target_action',
  'archive_command',
];

/**
 * Makes the restored data directory start as a recovery: `recovery.signal` (or
 * `standby.signal`), and in `postgresql.auto.conf` (read last, so it wins) the restore_command,
 * the recovery target, and `archive_command = false` so the copy never ships WAL into the
 * original's archive. Earlier values of those keys in the file are commented out; archive_mode
 * is left as the operator set it (as Barman does), so resetting archive_command is all it takes
 * to archive again. Returns the settings written, for the output.
 */
export async function writeRecoverySettings(
  destination: string,
  settings: RecoverySettings,
  owner: FileOwner | undefined,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {
    restore_command: quoteConfValue(settings.restoreCommand),
  };
  const target = settings.target;
  if (target.kind === 'immediate') values['recovery_target'] = quoteConfValue('immediate');
  if (target.kind === 'time') values['recovery_target_time'] = quoteConfValue(target.value);
  if (target.kind === 'xid') values['recovery_target_xid'] = quoteConfValue(target.value);
  if (target.kind === 'lsn') values['recovery_target_lsn'] = quoteConfValue(target.value);
  if (target.kind === 'name') values['recovery_target_name'] = quoteConfValue(target.value);
  if (settings.exclusive && target.kind !== 'latest' && target.kind !== 'immediate')
    values['recovery_target_inclusive'] = 'false';
  if (settings.targetTimeline !== undefined)
    values['recovery_target_timeline'] = quoteConfValue(settings.targetTimeline);
  if (settings.targetAction !== undefined && target.kind !== 'latest')
    values['recovery_target_action'] = quoteConfValue(settings.targetAction);
  values['archive_command'] = quoteConfValue('false');

  const path = join(destination, 'postgresql.auto.conf');
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT')
      throw ioError('cannot read postgresql.auto.conf', path, error);
  }
  text = commentOutSettings(text, RECOVERY_KEYS, 'barkeep recover: replaced below');
  text = appendSettings(text, 'Recovery settings written by barkeep recover', values);
  const signal = join(destination, settings.standby ? 'standby.signal' : 'recovery.signal');
  try {
    await writeFile(path, text, { mode: 0o600 });
    await writeFile(signal, '', { mode: 0o600 });
    if (owner) {
      await lchown(path, owner.uid, owner.gid);
      await lchown(signal, owner.uid, owner.gid);
    }
  } catch (error) {
    throw ioError('cannot write recovery settings', destination, error);
  }
  return values;
}
