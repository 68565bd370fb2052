import type { CliContext } from './cli-context.ts';

/** What a long command reports while it runs. */
export interface ProgressDisplay {
  /** A new phase: a line of its own (the bar, if any, is paused around it). */
  phase(text: string): void;
  /** Bytes done and the expected total. */
  progress(done: number, total: number | undefined): void;
  /** Removes the bar. */
  stop(): void;
}

/**
 * A progress bar with bytes, rate and ETA on stderr when it is a terminal (cli-progress, loaded
 * only then); otherwise, and with -q or -f json, one line per phase through the logger, which
 * also writes them to log_file.
 */
export async function createProgressDisplay(context: CliContext): Promise<ProgressDisplay> {
  const interactive =
    process.stderr.isTTY === true && !context.globals.quiet && context.globals.format === 'console';
  if (!interactive) {
    return { phase: () => {}, progress: () => {}, stop: () => {} };
  }
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar(
    {
      format:
        '  {bar} {percentage}% | {doneMiB}/{totalMiB} MiB | {rate} MiB/s | ETA {eta_formatted}',
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  let running = false;
  return {
    phase: () => {
      // The phase line comes from the logger on stderr: take the bar away so it stays readable.
      if (running) bar.stop();
      running = false;
    },
    progress: (done, total) => {
      const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const payload = {
        doneMiB: mib(done),
        totalMiB: total ? mib(total) : '?',
        rate: mib(done / seconds),
      };
      const limit = Math.max(total ?? 0, done, 1);
      if (!running) {
        bar.start(limit, done, payload);
        running = true;
      } else {
        bar.setTotal(limit);
        bar.update(done, payload);
      }
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
