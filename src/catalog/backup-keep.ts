import { existsSync } from 'node:fs';
import { readFile, rm, rmdir } from 'node:fs/promises';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { ensureDirectory, fsyncDirectory, writeFileDurable } from '../storage/durable-write.ts';
import { backupDirectory } from './backup-paths.ts';
import type { ServerLayout } from './server-layout.ts';

/** Barman's keep targets: keep everything needed to recover to any point (`full`), or only to the end of the backup (`standalone`). */
export type KeepTarget = 'full' | 'standalone';

/**
 * The keep annotation of a backup (`base/<id>/annotations/keep`, the file Barman writes), or
 * undefined when the backup is not kept. A kept backup is never deleted by retention or
 * `delete`. As in Barman, an annotation naming another target counts as `full` (the safe
 * reading), and an empty one as no keep.
 */
export async function keepTarget(
  layout: ServerLayout,
  backupId: string,
): Promise<KeepTarget | undefined> {
  const path = backupDirectory(layout, backupId).keepAnnotation;
  // Most backups have no annotation: look before reading, an exception per backup is slow.
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('cannot read keep annotation', path, error);
  }
  const target = text.trim();
  if (target === '') return undefined;
  return target === 'standalone' ? 'standalone' : 'full';
}

/** Marks a backup kept (`keep --target`). */
export async function setKeepTarget(
  layout: ServerLayout,
  backupId: string,
  target: KeepTarget,
): Promise<void> {
  const paths = backupDirectory(layout, backupId);
  await ensureDirectory(paths.annotations, 0o700);
  await writeFileDurable(paths.keepAnnotation, target);
}

/**
 * Releases a kept backup (`keep --release`); the `annotations` directory goes too when nothing
 * else is left in it, as Barman leaves it.
 */
export async function releaseKeep(layout: ServerLayout, backupId: string): Promise<void> {
  const paths = backupDirectory(layout, backupId);
  await rm(paths.keepAnnotation, { force: true });
  try {
    await rmdir(paths.annotations);
    await fsyncDirectory(paths.directory);
    return;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST')
      throw ioError('cannot remove annotations directory', paths.annotations, error);
  }
  await fsyncDirectory(paths.annotations);
}
