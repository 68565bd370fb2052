import { Gauge, Histogram, Registry } from 'prom-client';
import type { ServerStatusDocument } from './serve-status.ts';

const RECEIVER_STATES = ['running', 'restarting', 'stopped', 'off'] as const;

/**
 * The Prometheus metrics of one `serve` process, on a registry of its own (never prom-client's
 * global one): gauges set from the servers' status documents at each scrape, and the histogram
 * of command durations that `serve` observes as it runs archive-wal passes and backups.
 */
export class ServeMetrics {
  readonly #registry = new Registry();
  readonly #durations: Histogram<'server' | 'command' | 'outcome'>;
  readonly #gauges: Record<string, Gauge<string>>;

  constructor() {
    const registers = [this.#registry];
    const gauge = (name: string, help: string, labelNames: string[] = ['server']) =>
      new Gauge({ name, help, labelNames, registers });
    this.#gauges = {
      lastBackupAge: gauge(
        'barkeep_last_backup_age_seconds',
        'Seconds since the newest DONE backup ended.',
      ),
      lastBackupSize: gauge(
        'barkeep_last_backup_size_bytes',
        'Size of the newest DONE backup, in bytes.',
      ),
      backups: gauge('barkeep_backups', 'Backups in the catalog, by status.', ['server', 'status']),
      walArchived: gauge('barkeep_wal_archived_files', 'WAL segments in the archive (xlog.db).'),
      walBytes: gauge(
        'barkeep_wal_archived_bytes',
        'Bytes of the archived WAL segments, as stored.',
      ),
      archiveLag: gauge(
        'barkeep_archive_lag_seconds',
        'Seconds since a WAL segment was last archived (xlog.db last written).',
      ),
      incoming: gauge(
        'barkeep_wal_incoming_files',
        'WAL files waiting in incoming/ to be archived.',
      ),
      errors: gauge('barkeep_errors_files', 'Files in errors/: WAL that barkeep refused.'),
      receiverUp: gauge(
        'barkeep_receiver_state',
        'The receive-wal process: 1 for its current state.',
        ['server', 'state'],
      ),
      receiverRestarts: gauge(
        'barkeep_receiver_restarts',
        'Times serve restarted receive-wal since it started.',
      ),
      receiverLag: gauge(
        'barkeep_receiver_lag_bytes',
        "Bytes the receiver's flush position is behind the server's WAL.",
      ),
      check: gauge('barkeep_check_ok', 'Result of the last run of each check: 1 OK, 0 FAILED.', [
        'server',
        'check',
      ]),
    };
    this.#durations = new Histogram({
      name: 'barkeep_command_duration_seconds',
      help: 'Duration of the commands serve runs (archive-wal passes, backups).',
      labelNames: ['server', 'command', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
  }

  /** Records one command run by serve. */
  observe(server: string, command: string, seconds: number, ok: boolean): void {
    this.#durations.observe({ server, command, outcome: ok ? 'ok' : 'failed' }, seconds);
  }

  /** The metrics in Prometheus' text format, the gauges set from `documents`. */
  async render(documents: readonly ServerStatusDocument[]): Promise<string> {
    const g = this.#gauges;
    for (const item of Object.values(g)) item.reset();
    for (const doc of documents) {
      const server = doc.name;
      const set = (metric: Gauge<string>, value: number | null | undefined) => {
        if (value !== null && value !== undefined) metric.set({ server }, value);
      };
      set(g.lastBackupAge!, doc.backups.last?.age_seconds);
      set(g.lastBackupSize!, doc.backups.last?.size_bytes);
      for (const [status, count] of Object.entries(doc.backups.by_status))
        g.backups!.set({ server, status }, count);
      set(g.walArchived!, doc.wal.archived_count);
      set(g.walBytes!, doc.wal.archived_bytes);
      set(g.archiveLag!, doc.wal.archive_lag_seconds);
      set(g.incoming!, doc.wal.waiting_in_incoming);
      set(g.errors!, doc.wal.errors_count);
      for (const state of RECEIVER_STATES)
        g.receiverUp!.set({ server, state }, doc.receiver.state === state ? 1 : 0);
      set(g.receiverRestarts!, doc.receiver.restarts);
      set(g.receiverLag!, doc.receiver.lag_bytes);
      for (const check of doc.checks) g.check!.set({ server, check: check.name }, check.ok ? 1 : 0);
    }
    return this.#registry.metrics();
  }

  /** The Content-Type of {@link render}'s text. */
  get contentType(): string {
    return this.#registry.contentType;
  }
}
