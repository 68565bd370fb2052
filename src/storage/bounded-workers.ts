/**
 * Runs `work` over `items`, at most `limit` at a time, each of the workers taking the next item
 * as it finishes one (so large and small files balance themselves). `setup` makes each worker's
 * own state once, e.g. a read buffer reused for every item it handles. After the first failure
 * no new item starts; the running ones are awaited and that first failure is thrown, so a
 * caller never returns while a file is still being written. `signal` stops the same way.
 */
export async function forEachLimited<T, State = undefined>(
  items: readonly T[],
  limit: number,
  work: (item: T, state: State) => Promise<void>,
  options: { readonly setup?: () => State; readonly signal?: AbortSignal | undefined } = {},
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    const state = options.setup?.() as State;
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        options.signal?.throwIfAborted();
        await work(item, state);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure.error;
}
