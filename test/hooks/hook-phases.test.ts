import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { runPostHooks, runPreHooks } from '../../src/hooks/hook-phases.ts';
import { configuredHooks, type HookScripts } from '../../src/hooks/hook-settings.ts';
import { runHookScript, runRetryHookScript } from '../../src/hooks/run-hook-script.ts';
import { VERSION } from '../../src/version.ts';
import { recordingLogger } from '../support/recording-logger.ts';
import { recordingScript } from './recording-script.ts';

const FAST = { breakMs: 5, napMs: 30, attemptsBeforeNap: 2 };

function hooks(scripts: Partial<Record<string, string>>): HookScripts {
  return configuredHooks(
    {
      pre_backup_script: scripts['pre'],
      pre_backup_retry_script: scripts['preRetry'],
      post_backup_retry_script: scripts['postRetry'],
      post_backup_script: scripts['post'],
      pre_archive_script: undefined,
      pre_archive_retry_script: undefined,
      post_archive_retry_script: undefined,
      post_archive_script: undefined,
    },
    'backup',
    '/etc/barkeep.conf',
  )!;
}

describe('hook settings', () => {
  it('has nothing to run when no script of the operation is set', () => {
    const none = {
      pre_backup_script: undefined,
      pre_backup_retry_script: '  ',
      post_backup_retry_script: undefined,
      post_backup_script: undefined,
      pre_archive_script: 'echo',
      pre_archive_retry_script: undefined,
      post_archive_retry_script: undefined,
      post_archive_script: undefined,
    };
    assert.equal(configuredHooks(none, 'backup', 'x.conf'), undefined);
    assert.equal(configuredHooks(none, 'archive', 'x.conf')?.pre.script, 'echo');
  });
});

describe('hook scripts', () => {
  it('runs a script with the environment added and reports its exit status and output', async () => {
    const script = await recordingScript();
    const { logger, lines } = recordingLogger();
    const status = await runHookScript({
      script: script.command(3),
      hook: 'backup_script',
      phase: 'pre',
      env: { BARMAN_PHASE: 'pre', BARMAN_HOOK: 'backup_script', BARMAN_X: 'a b' },
      logger,
    });
    assert.equal(status, 3);
    const [call] = await script.calls();
    assert.equal(call!.env['BARMAN_X'], 'a b');
    assert.match(lines.at(-1)!.message, /returned 3; output: run 1 exits 3/);
    assert.equal(lines.at(-1)!.level, 'warning');
  });

  it('retries a retry script until it succeeds, with breaks and naps', async () => {
    const script = await recordingScript();
    const run = {
      script: script.command(1, 2, 1, 0),
      hook: 'backup_retry_script',
      phase: 'pre' as const,
      env: { BARMAN_PHASE: 'pre', BARMAN_HOOK: 'backup_retry_script' },
      logger: recordingLogger().logger,
    };
    const started = Date.now();
    assert.equal(await runRetryHookScript(run, FAST), 'success');
    assert.equal((await script.calls()).length, 4);
    // 2 breaks, then a nap after the third failure.
    assert.ok(Date.now() - started >= 2 * FAST.breakMs + FAST.napMs);
  });

  it('stops retrying on 62 (abort and continue) and 63 (abort and stop)', async () => {
    const base = { hook: 'archive_retry_script', phase: 'post' as const, env: {} };
    const logger = recordingLogger().logger;
    const first = await recordingScript();
    assert.equal(
      await runRetryHookScript({ ...base, script: first.command(1, 62), logger }, FAST),
      'abort-continue',
    );
    assert.equal((await first.calls()).length, 2);
    const second = await recordingScript();
    assert.equal(
      await runRetryHookScript({ ...base, script: second.command(63), logger }, FAST),
      'abort-stop',
    );
  });
});

describe('pre and post phases', () => {
  it('runs the standard pre script, then the retry one, with Barman common variables', async () => {
    const script = await recordingScript();
    const set = hooks({ pre: script.command(1), preRetry: script.command(0) });
    await runPreHooks(
      set,
      { server: 'pg', logger: recordingLogger().logger, timing: FAST },
      {
        BARMAN_BACKUP_ID: '20260101T000000',
      },
    );
    const calls = await script.calls();
    assert.deepEqual(
      calls.map((c) => [c.env['BARMAN_HOOK'], c.env['BARMAN_RETRY']]),
      [
        ['backup_script', '0'],
        ['backup_retry_script', '1'],
      ],
    );
    assert.deepEqual(calls[0]!.env, {
      BARMAN_BACKUP_ID: '20260101T000000',
      BARMAN_CONFIGURATION: '/etc/barkeep.conf',
      BARMAN_HOOK: 'backup_script',
      BARMAN_PHASE: 'pre',
      BARMAN_RETRY: '0',
      BARMAN_SERVER: 'pg',
      BARMAN_VERSION: VERSION,
    });
  });

  it('stops the operation when the pre retry script exits 63, and goes on with 62', async () => {
    const caller = { server: 'pg', logger: recordingLogger().logger, timing: FAST };
    const stopping = await recordingScript();
    await assert.rejects(
      runPreHooks(hooks({ preRetry: stopping.command(1, 63) }), caller, {}),
      (error) => isBarkeepError(error, 'hookAborted') && error.exitCode === 1,
    );
    assert.equal((await stopping.calls()).length, 2);
    const continuing = await recordingScript();
    await runPreHooks(hooks({ preRetry: continuing.command(62) }), caller, {});
  });

  it('runs the post retry script first and ignores its 63, then the standard one', async () => {
    const script = await recordingScript();
    const { logger, lines } = recordingLogger();
    const set = hooks({ post: script.command(0), postRetry: script.command(63) });
    await runPostHooks(set, { server: 'pg', logger, timing: FAST }, { BARMAN_STATUS: 'DONE' });
    const calls = await script.calls();
    assert.deepEqual(
      calls.map(
        (c) => `${c.env['BARMAN_PHASE']} ${c.env['BARMAN_HOOK']} ${c.env['BARMAN_STATUS']}`,
      ),
      ['post backup_retry_script DONE', 'post backup_script DONE'],
    );
    assert.ok(lines.some((line) => /exited 63 \(abort and stop\); ignored/.test(line.message)));
  });
});
