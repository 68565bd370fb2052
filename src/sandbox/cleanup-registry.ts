/** Something the registry can tear down synchronously when the process is going away. */
export interface EmergencyCleanup {
  /**
   * Releases everything at once, synchronously (SIGKILL, rm -rf): it runs from
   * `process.on('exit')`, where no asynchronous work completes. Must not throw.
   */
  emergencyCleanup(): void;
}

type Signal = 'SIGINT' | 'SIGTERM';
const signals: readonly Signal[] = ['SIGINT', 'SIGTERM'];

/**
 * Keeps the live sandbox resources (throwaway clusters, installed CLI copies) of this process and
 * tears them down when the process ends in any way but SIGKILL: on `exit` (a failing test, a
 * forgotten `stop()`), and on SIGINT/SIGTERM, after which the signal is re-raised so the process
 * still dies of it (exit status 130/143). A program with its own handler for the signal (the
 * demo's Ctrl-C) keeps control of it: the registry then only acts at `exit`. Hooks are
 * installed while at least one resource is registered and removed when the last one goes, so an
 * idle registry changes nothing about the process. SIGKILLed owners are handled by the sweeper.
 */
export class CleanupRegistry {
  readonly #entries = new Set<EmergencyCleanup>();
  #installed = false;

  readonly #onExit = (): void => {
    this.runAll();
  };

  readonly #onSignal = (signal: Signal): void => {
    // A program that handles the signal itself stays in charge; the exit hook is the backstop.
    if (process.listenerCount(signal) > 1) return;
    this.runAll();
    this.#uninstall();
    process.kill(process.pid, signal);
  };

  /** Registers a resource; it stays until `delete` (normal teardown) or an emergency. */
  add(entry: EmergencyCleanup): void {
    this.#entries.add(entry);
    this.#install();
  }

  /** Forgets a resource that was torn down normally. */
  delete(entry: EmergencyCleanup): void {
    this.#entries.delete(entry);
    if (this.#entries.size === 0) this.#uninstall();
  }

  /** How many resources are registered. */
  get size(): number {
    return this.#entries.size;
  }

  /** Tears down every registered resource synchronously and forgets them. */
  runAll(): void {
    const entries = [...this.#entries];
    this.#entries.clear();
    for (const entry of entries) {
      try {
        entry.emergencyCleanup();
      } catch {
        // Best effort: the next entry must still be cleaned.
      }
    }
  }

  #install(): void {
    if (this.#installed) return;
    this.#installed = true;
    process.on('exit', this.#onExit);
    for (const signal of signals) process.on(signal, this.#onSignal);
  }

  #uninstall(): void {
    if (!this.#installed) return;
    this.#installed = false;
    process.off('exit', this.#onExit);
    for (const signal of signals) process.off(signal, this.#onSignal);
  }
}

/**
 * The one registry of sandbox resources of this process. This is deliberately the project's
 * single piece of module-level mutable state: exit and signal hooks are per process, so their
 * bookkeeping must be too.
 */
export const sandboxCleanup = new CleanupRegistry();
