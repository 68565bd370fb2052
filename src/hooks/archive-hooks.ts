import type { ArchiveTarget, StoreOutcome } from '../archive/store-wal-file.ts';
import { storedPath } from '../archive/store-wal-file.ts';
import type { Logger } from '../logging/logger.ts';
import { parseWalFileName } from '../wal/wal-file-name.ts';
import { type HookCaller, hookErrorText, runPostHooks, runPreHooks } from './hook-phases.ts';
import type { HookScripts } from './hook-settings.ts';
import type { RetryTiming } from './run-hook-script.ts';

/** The file being archived, as the archive hooks describe it. */
export interface ArchivedFileFacts {
  readonly name: string;
  /** Where it is read from (the path given to put-wal, the file in incoming/); none for a stream. */
  readonly sourcePath: string | undefined;
  readonly size: number;
  readonly mtimeMs: number | undefined;
}

/**
 * Stores one WAL file between its archive hooks, as Barman's archiver does: before it,
 * `pre_archive_script` and `pre_archive_retry_script` (exit 63 of the latter throws
 * `hookAborted` and nothing is stored); after it, whatever happened, `post_archive_retry_script`
 * and `post_archive_script`, with `BARMAN_ERROR` set when storing failed or was aborted. The
 * variables are Barman's `env_from_wal_info`: `BARMAN_SEGMENT` (the file name), `BARMAN_FILE`
 * (the source before, the stored file after; for put-wal's tar stream, which has no source
 * file, the stored path both times), `BARMAN_SIZE`, `BARMAN_TIMESTAMP` (seconds since the
 * epoch) and `BARMAN_COMPRESSION` of the source before and of the stored file after.
 */
export async function storeWithArchiveHooks(
  target: ArchiveTarget & { readonly hooks: HookScripts },
  file: ArchivedFileFacts,
  logger: Logger,
  store: () => Promise<StoreOutcome>,
  timing?: RetryTiming,
): Promise<StoreOutcome> {
  const caller: HookCaller = { server: target.server, logger, ...(timing ? { timing } : {}) };
  const parsed = parseWalFileName(file.name);
  const destination = parsed ? storedPath(target.layout, parsed) : '';
  const source = {
    BARMAN_SEGMENT: file.name,
    BARMAN_FILE: file.sourcePath ?? destination,
    BARMAN_SIZE: String(file.size),
    BARMAN_TIMESTAMP: String((file.mtimeMs ?? Date.now()) / 1000),
    BARMAN_COMPRESSION: '',
    BARMAN_ERROR: '',
  };
  let outcome: StoreOutcome;
  try {
    await runPreHooks(target.hooks, caller, source);
    outcome = await store();
  } catch (error) {
    await runPostHooks(target.hooks, caller, {
      ...source,
      BARMAN_FILE: destination,
      BARMAN_ERROR: hookErrorText(error),
    });
    throw error;
  }
  await runPostHooks(target.hooks, caller, {
    ...source,
    BARMAN_FILE: outcome.path,
    BARMAN_SIZE: String(outcome.entry.size),
    BARMAN_TIMESTAMP: String(outcome.entry.time),
    BARMAN_COMPRESSION: outcome.entry.compression ?? '',
  });
  return outcome;
}
