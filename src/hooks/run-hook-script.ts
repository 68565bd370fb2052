import { spawn } from 'node:child_process';
import type { Logger } from '../logging/logger.ts';

/** Exit status of a retry hook script that asks barkeep to give up on it and go on (Barman's). */
export const EXIT_ABORT_CONTINUE = 62;
/** Exit status of a retry hook script that asks barkeep to stop the operation (Barman's). */
export const EXIT_ABORT_STOP = 63;

/** One run of a hook script. */
export interface HookScriptRun {
  /** The shell command line, run with `/bin/sh -c`. */
  readonly script: string;
  /** Barman's hook name, e.g. `backup_script`, `archive_retry_script` (`BARMAN_HOOK`). */
  readonly hook: string;
  readonly phase: 'pre' | 'post';
  /** Variables added to the inherited environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly logger: Logger;
}

/** How long a retry hook waits between attempts. */
export interface RetryTiming {
  /** After each of the first `attemptsBeforeNap` failures. */
  readonly breakMs: number;
  /** After the failure that follows them; then the count starts again. */
  readonly napMs: number;
  readonly attemptsBeforeNap: number;
}

/** Barman's timing: 3 s between attempts, a 60 s nap after every 5 failed ones. */
export const BARMAN_RETRY_TIMING: RetryTiming = {
  breakMs: 3000,
  napMs: 60_000,
  attemptsBeforeNap: 5,
};

/** How a retry hook script ended. */
export type RetryOutcome = 'success' | 'abort-continue' | 'abort-stop';

/**
 * Runs a hook script once: `/bin/sh -c SCRIPT` with the inherited environment plus `env`,
 * output captured. Returns its exit status, or null when it could not be started or was killed
 * by a signal. Never throws: a failing standard hook is only logged (a warning with its output),
 * as in Barman.
 */
export function runHookScript(run: HookScriptRun): Promise<number | null> {
  return new Promise((resolve) => {
    const output: Buffer[] = [];
    let finished = false;
    const finish = (status: number | null, why?: string) => {
      if (finished) return;
      finished = true;
      const text = Buffer.concat(output).toString('utf8').trim();
      if (status === 0) run.logger.debug(`${run.phase}_${run.hook} '${run.script}' returned 0`);
      else
        run.logger.warn(
          `${run.phase}_${run.hook} '${run.script}' ${why ?? `returned ${status}`}${text ? `; output: ${text}` : ''}`,
        );
      resolve(status);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('/bin/sh', ['-c', run.script], {
        env: { ...process.env, ...run.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      finish(null, `could not be started: ${(error as Error).message}`);
      return;
    }
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', (error) => finish(null, `could not be started: ${error.message}`));
    child.on('close', (code, signal) =>
      finish(code, code === null ? `was killed by ${signal}` : undefined),
    );
  });
}

/**
 * Runs a retry hook script until it exits 0 (success), 62 (abort, the operation goes on) or
 * 63 (abort, the caller decides whether that stops the operation); any other exit status,
 * or a script that cannot start, is retried after `timing.breakMs`, with a `timing.napMs`
 * pause after every `timing.attemptsBeforeNap` failures, for as long as it takes (Barman's
 * RetryHookScriptRunner). Never throws.
 */
export async function runRetryHookScript(
  run: HookScriptRun,
  timing: RetryTiming = BARMAN_RETRY_TIMING,
): Promise<RetryOutcome> {
  let attempts = 1;
  for (;;) {
    const status = await runHookScript(run);
    if (status === 0) return 'success';
    if (status === EXIT_ABORT_CONTINUE) {
      run.logger.warn(`${run.phase}_${run.hook} '${run.script}' was aborted (exit 62): going on`);
      return 'abort-continue';
    }
    if (status === EXIT_ABORT_STOP) return 'abort-stop';
    let pause = timing.breakMs;
    if (attempts <= timing.attemptsBeforeNap) attempts++;
    else {
      attempts = 1;
      pause = timing.napMs;
    }
    run.logger.debug(`${run.phase}_${run.hook} retried in ${pause} ms`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
