import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerLayout } from '../catalog/server-layout.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { createFileDurable, fsyncDirectory } from '../storage/durable-write.ts';
import type { ErrorsSuffix } from './wal-rejection.ts';

/** Barman's timestamp in `errors/` names: UTC `YYYYMMDDTHHMMSSZ`. */
export function errorsTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** A name in `errors/` that is not taken yet: `<name>.<timestamp>.<suffix>`, then `.1`, `.2`... */
async function freeErrorsName(
  layout: ServerLayout,
  name: string,
  suffix: ErrorsSuffix,
  now: Date,
): Promise<string> {
  const existing = new Set(await listErrors(layout));
  const base = `${name}.${errorsTimestamp(now)}.${suffix}`;
  if (!existing.has(base)) return join(layout.errors, base);
  for (let n = 1; ; n++) {
    if (!existing.has(`${base}.${n}`)) return join(layout.errors, `${base}.${n}`);
  }
}

/** The names in `errors/` (none when it does not exist). */
export async function listErrors(layout: ServerLayout): Promise<string[]> {
  try {
    return (await readdir(layout.errors)).filter((name) => !name.startsWith('.'));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('cannot list errors directory', layout.errors, error);
  }
}

/**
 * Moves a rejected file from `incoming/` or `streaming/` into `errors/` (archive-wal's path),
 * so that it is neither retried forever nor lost. Returns the new path.
 */
export async function moveToErrors(
  layout: ServerLayout,
  sourcePath: string,
  name: string,
  suffix: ErrorsSuffix,
  now = new Date(),
): Promise<string> {
  const target = await freeErrorsName(layout, name, suffix, now);
  try {
    await rename(sourcePath, target);
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV')
      throw ioError('cannot move rejected file to errors/', sourcePath, error);
    // errors/ is on another file system: copy durably, then drop the source.
    const kept = await keepCopyInErrors(layout, name, await readFile(sourcePath), suffix, now);
    await rm(sourcePath, { force: true });
    return kept;
  }
  await fsyncDirectory(layout.errors);
  return target;
}

/**
 * Keeps a copy of rejected content in `errors/` (put-wal's path: the original stays where
 * PostgreSQL has it and will be offered again). An identical copy already kept under the same
 * name and suffix is reused, so an archiver retrying every minute does not fill the disk.
 */
export async function keepCopyInErrors(
  layout: ServerLayout,
  name: string,
  data: Buffer,
  suffix: ErrorsSuffix,
  now = new Date(),
): Promise<string> {
  // Loaded here: only a rejected file needs it, and put-wal's start is paid per segment.
  const { createHash } = await import('node:crypto');
  const digest = createHash('sha256').update(data).digest('hex');
  for (const existing of await listErrors(layout)) {
    if (!existing.startsWith(`${name}.`) || !existing.includes(`.${suffix}`)) continue;
    const path = join(layout.errors, existing);
    const content = await readFile(path).catch(() => undefined);
    if (content && createHash('sha256').update(content).digest('hex') === digest) return path;
  }
  for (;;) {
    const target = await freeErrorsName(layout, name, suffix, now);
    if ((await createFileDurable(target, data)) === 'created') return target;
  }
}
