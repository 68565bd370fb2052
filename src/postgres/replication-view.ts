import type { Client } from 'pg';
import { runQuery } from './run-query.ts';

/** One WAL sender of the server (pg_stat_replication), e.g. barkeep's receiver or a standby. */
export interface WalSenderState {
  readonly pid: number;
  readonly applicationName: string;
  readonly clientAddress: string | undefined;
  readonly state: string;
  readonly syncState: string;
  readonly sentLsn: string | undefined;
  readonly writeLsn: string | undefined;
  readonly flushLsn: string | undefined;
  readonly replayLsn: string | undefined;
  /** Bytes between the server's current position and what the sender's client flushed. */
  readonly flushLagBytes: number | undefined;
  /** Seconds PostgreSQL measures between a commit and its flush on the client (flush_lag). */
  readonly flushLagSeconds: number | undefined;
}

/** One replication slot (pg_replication_slots). */
export interface SlotState {
  readonly name: string;
  readonly type: string;
  readonly active: boolean;
  readonly activePid: number | undefined;
  readonly restartLsn: string | undefined;
  /** Bytes of WAL the slot holds back on the server. */
  readonly retainedBytes: number | undefined;
}

/** The server's replication picture: its position, its senders and its slots. */
export interface ReplicationView {
  readonly currentLsn: string;
  readonly currentWalFile: string;
  readonly inRecovery: boolean;
  readonly senders: readonly WalSenderState[];
  readonly slots: readonly SlotState[];
}

/**
 * Reads what `status`, `replication-status` and `check` show about streaming: pg_stat_replication
 * and pg_replication_slots with lags computed against the current WAL position. Works for any
 * role, though without pg_read_all_stats the sender details of other roles are hidden.
 */
export async function readReplicationView(client: Client): Promise<ReplicationView> {
  const [position] = await runQuery<{ lsn: string; file: string | null; in_recovery: boolean }>(
    client,
    `SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END::text AS lsn,
            CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS file,
            pg_is_in_recovery() AS in_recovery`,
  );
  const senders = await runQuery<{
    pid: number;
    application_name: string;
    client_addr: string | null;
    state: string | null;
    sync_state: string | null;
    sent_lsn: string | null;
    write_lsn: string | null;
    flush_lsn: string | null;
    replay_lsn: string | null;
    lag_bytes: string | null;
    flush_lag: number | null;
  }>(
    client,
    `SELECT pid, application_name, client_addr::text, state, sync_state,
            sent_lsn::text, write_lsn::text, flush_lsn::text, replay_lsn::text,
            CASE WHEN pg_is_in_recovery() THEN NULL
                 ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::text END AS lag_bytes,
            extract(epoch FROM flush_lag)::float8 AS flush_lag
       FROM pg_stat_replication ORDER BY application_name, pid`,
  );
  const slots = await runQuery<{
    slot_name: string;
    slot_type: string;
    active: boolean;
    active_pid: number | null;
    restart_lsn: string | null;
    retained: string | null;
  }>(
    client,
    `SELECT slot_name, slot_type, active, active_pid, restart_lsn::text,
            CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text END AS retained
       FROM pg_replication_slots ORDER BY slot_name`,
  );
  return {
    currentLsn: position?.lsn ?? '0/0',
    currentWalFile: position?.file ?? '',
    inRecovery: position?.in_recovery ?? false,
    senders: senders.map((row) => ({
      pid: row.pid,
      applicationName: row.application_name,
      clientAddress: row.client_addr ?? undefined,
      state: row.state ?? 'unknown',
      syncState: row.sync_state ?? 'unknown',
      sentLsn: row.sent_lsn ?? undefined,
      writeLsn: row.write_lsn ?? undefined,
      flushLsn: row.flush_lsn ?? undefined,
      replayLsn: row.replay_lsn ?? undefined,
      flushLagBytes: row.lag_bytes === null ? undefined : Number(row.lag_bytes),
      flushLagSeconds: row.flush_lag ?? undefined,
    })),
    slots: slots.map((row) => ({
      name: row.slot_name,
      type: row.slot_type,
      active: row.active,
      activePid: row.active_pid ?? undefined,
      restartLsn: row.restart_lsn ?? undefined,
      retainedBytes: row.retained === null ? undefined : Number(row.retained),
    })),
  };
}
