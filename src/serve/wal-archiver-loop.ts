import { type FSWatcher, watch } from 'node:fs';
import { serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';

/** What the archiver loop of one server has done so far. */
export interface ArchiverState {
  readonly passes: number;
  readonly archivedFiles: number;
  readonly rejectedFiles: number;
  readonly lastPassAt: Date | undefined;
  readonly lastError: string | undefined;
}

/** A periodic pass catches what a missed file-system notification would leave behind. */
const SCAN_INTERVAL_MS = 10_000;
/** Notifications come in bursts (a copy is several writes): one pass after the burst. */
const SETTLE_MS = 200;

/**
 * Continuous archive-wal for one server: a pass shortly after anything changes in `incoming/`
 * or `streaming/` (file-system notifications), and one every 10 s regardless; never two at
 * once. Each pass is `archiveIncoming`, which defers a file still being copied. `onPass` gets
 * each pass's duration (for the metrics) and how many files it archived.
 */
export class WalArchiverLoop {
  readonly #server: ServerConfig;
  readonly #logger: Logger;
  readonly #onPass: (seconds: number, archived: number) => void;
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #settle: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #state: ArchiverState = {
    passes: 0,
    archivedFiles: 0,
    rejectedFiles: 0,
    lastPassAt: undefined,
    lastError: undefined,
  };

  constructor(
    server: ServerConfig,
    logger: Logger,
    onPass: (seconds: number, archived: number) => void,
  ) {
    this.#server = server;
    this.#logger = logger;
    this.#onPass = onPass;
  }

  get state(): ArchiverState {
    return this.#state;
  }

  /** Starts watching and runs a first pass at once. */
  start(): void {
    const layout = serverLayout(this.#server.name, this.#server.settings);
    for (const directory of [layout.incoming, layout.streaming]) {
      try {
        const watcher = watch(directory, () => this.#soon());
        watcher.on('error', () => undefined); // the periodic scan still runs
        this.#watchers.push(watcher);
      } catch (error) {
        this.#logger.warn(`cannot watch ${directory} (${(error as Error).message}); scanning only`);
      }
    }
    this.#timer = setInterval(() => this.#pass(), SCAN_INTERVAL_MS);
    this.#pass();
  }

  #soon(): void {
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => this.#pass(), SETTLE_MS);
  }

  #pass(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.#pass();
      }
    });
  }

  async #run(): Promise<void> {
    const started = Date.now();
    let archived = 0;
    const { archiveIncoming } = await import('../archive/archive-incoming.ts');
    try {
      const result = await archiveIncoming(this.#server, this.#logger);
      archived = result.archived.length;
      this.#state = {
        passes: this.#state.passes + 1,
        archivedFiles: this.#state.archivedFiles + result.archived.length,
        rejectedFiles: this.#state.rejectedFiles + result.rejected.length,
        lastPassAt: new Date(),
        lastError: undefined,
      };
      // Files left because they were still arriving: look again soon.
      if (result.deferred.length > 0) this.#soon();
    } catch (error) {
      // Another archive-wal (cron, a person) holds the lock: it does the work.
      const why = isBarkeepError(error) ? error.toLine() : String(error);
      if (!isBarkeepError(error, 'lockHeld')) this.#logger.error(`archive-wal: ${why}`);
      this.#state = { ...this.#state, lastError: why, lastPassAt: new Date() };
    } finally {
      this.#onPass((Date.now() - started) / 1000, archived);
    }
  }

  /** Stops watching and waits for a pass in progress to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#settle);
    for (const watcher of this.#watchers) watcher.close();
    await this.#running;
  }
}
