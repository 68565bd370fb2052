import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachLimited } from '../../src/storage/bounded-workers.ts';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('forEachLimited', () => {
  it('runs every item, never more than the limit at once, each worker with its own state', async () => {
    let running = 0;
    let peak = 0;
    const states = new Set<object>();
    const done: number[] = [];
    await forEachLimited(
      [5, 1, 3, 2, 4, 1],
      3,
      async (ms, state: { id: object }) => {
        running++;
        peak = Math.max(peak, running);
        states.add(state.id);
        await tick(ms);
        done.push(ms);
        running--;
      },
      { setup: () => ({ id: {} }) },
    );
    assert.equal(done.length, 6);
    assert.equal(peak, 3);
    assert.equal(states.size, 3);
  });

  it('starts nothing after the first failure, awaits the running items, throws that failure', async () => {
    const started: number[] = [];
    let finished = 0;
    await assert.rejects(
      forEachLimited([1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('two failed');
        await tick(20);
        finished++;
      }),
      /two failed/,
    );
    assert.deepEqual(started, [1, 2]);
    assert.equal(finished, 1, 'the item already running was awaited');
  });

  it('stops on an aborted signal and handles an empty list', async () => {
    await forEachLimited([], 4, async () => assert.fail('no item'));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(forEachLimited([1], 1, async () => {}, { signal: controller.signal }));
  });
});
