import { BarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { VERSION } from '../version.ts';
import type { HookScripts } from './hook-settings.ts';
import {
  type HookScriptRun,
  type RetryTiming,
  runHookScript,
  runRetryHookScript,
} from './run-hook-script.ts';

/** Who runs the hooks of one operation: the server, where to log, and the retry timing. */
export interface HookCaller {
  readonly server: string;
  readonly logger: Logger;
  /** Default Barman's (3 s, 60 s after 5 failures); tests shorten it. */
  readonly timing?: RetryTiming;
}

function runOf(
  hooks: HookScripts,
  caller: HookCaller,
  phase: 'pre' | 'post',
  retry: boolean,
  script: string,
  env: Readonly<Record<string, string>>,
): HookScriptRun {
  const hook = `${hooks.operation}_${retry ? 'retry_' : ''}script`;
  return {
    script,
    hook,
    phase,
    logger: caller.logger,
    env: {
      ...env,
      BARMAN_VERSION: VERSION,
      BARMAN_SERVER: caller.server,
      BARMAN_CONFIGURATION: hooks.configFile,
      BARMAN_HOOK: hook,
      BARMAN_RETRY: retry ? '1' : '0',
      BARMAN_PHASE: phase,
    },
  };
}

/**
 * Runs the `pre` hooks of an operation as Barman does: the standard script (its exit status is
 * only logged), then the retry script until it succeeds or aborts. Exit 62 of the retry script
 * lets the operation go on; exit 63 stops it: this throws `hookAborted`, and the caller ends the
 * operation (a backup is recorded FAILED, an archiving pass stops, put-wal fails so PostgreSQL
 * tries again later). `env` holds the operation's variables (`BARMAN_BACKUP_ID`, ...); the
 * common ones (`BARMAN_SERVER`, `BARMAN_PHASE`, ...) are added here.
 */
export async function runPreHooks(
  hooks: HookScripts,
  caller: HookCaller,
  env: Readonly<Record<string, string>>,
): Promise<void> {
  if (hooks.pre.script)
    await runHookScript(runOf(hooks, caller, 'pre', false, hooks.pre.script, env));
  const retryScript = hooks.pre.retryScript;
  if (!retryScript) return;
  const run = runOf(hooks, caller, 'pre', true, retryScript, env);
  if ((await runRetryHookScript(run, caller.timing)) === 'abort-stop') {
    throw new BarkeepError('hookAborted', {
      what: `pre_${run.hook} asked to stop`,
      subject: retryScript,
      why: `it exited 63 (abort and stop), so the ${hooks.operation} of server '${caller.server}' was not done`,
    });
  }
}

/**
 * Runs the `post` hooks of an operation as Barman does: the retry script first, until it
 * succeeds or aborts (exit 63 cannot stop what is already done: it is logged and ignored), then
 * the standard script. Never throws.
 */
export async function runPostHooks(
  hooks: HookScripts,
  caller: HookCaller,
  env: Readonly<Record<string, string>>,
): Promise<void> {
  const retryScript = hooks.post.retryScript;
  if (retryScript) {
    const run = runOf(hooks, caller, 'post', true, retryScript, env);
    if ((await runRetryHookScript(run, caller.timing)) === 'abort-stop') {
      caller.logger.warn(
        `post_${run.hook} '${retryScript}' exited 63 (abort and stop); ignored after the ${hooks.operation}`,
      );
    }
  }
  if (hooks.post.script)
    await runHookScript(runOf(hooks, caller, 'post', false, hooks.post.script, env));
}

/** The message of an error for `BARMAN_ERROR`, on one line. */
export function hookErrorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}
