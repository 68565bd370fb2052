import type pg from 'pg';
import { BarkeepError } from '../../errors/barkeep-error.ts';
import { type Lsn, parseLsn } from '../../wal/lsn.ts';
import { type TimelineId, toTimelineId } from '../../wal/timeline.ts';
import { openConnection } from '../connect.ts';
import type { SystemIdentity } from '../identify-system.ts';
import { runQuery } from '../run-query.ts';
import { BaseBackupStream } from './base-backup-stream.ts';
import { ReplicationStream } from './replication-stream.ts';

/** Where a physical replication slot stands (READ_REPLICATION_SLOT). */
export interface SlotPosition {
  readonly restartLsn: Lsn | undefined;
  readonly restartTimeline: TimelineId | undefined;
}

/** What BASE_BACKUP is asked for. */
export interface BaseBackupOptions {
  readonly label: string;
  readonly fastCheckpoint: boolean;
  /** Server-side compression (PostgreSQL 15+), e.g. `{ method: 'zstd', detail: 'level=1,workers=2' }`. */
  readonly serverCompression?:
    | { readonly method: 'gzip' | 'lz4' | 'zstd'; readonly detail?: string }
    | undefined;
}

/** What START_REPLICATION needs. */
export interface StartReplication {
  readonly slot?: string | undefined;
  readonly start: Lsn;
  readonly timeline: TimelineId;
}

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

/**
 * A physical replication connection (a walsender): the commands of the streaming replication
 * protocol as methods. Authentication, TLS and the wire format are node-postgres's; only the
 * simple query protocol is used, as replication connections require.
 */
export class ReplicationConnection {
  readonly #client: pg.Client;
  readonly #subject: string;

  private constructor(client: pg.Client, subject: string) {
    this.#client = client;
    this.#subject = subject;
  }

  /** Opens a replication connection (`replication=true`) with the given application_name. */
  static async open(
    conninfo: string,
    options: { applicationName: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<ReplicationConnection> {
    const client = await openConnection(conninfo, {
      replication: true,
      applicationName: options.applicationName,
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(options.env ? { env: options.env } : {}),
    });
    return new ReplicationConnection(client, options.applicationName);
  }

  /** IDENTIFY_SYSTEM: which cluster, its current timeline and WAL position. */
  async identifySystem(): Promise<SystemIdentity> {
    const [row] = await runQuery<{ systemid: string; timeline: string | number; xlogpos: string }>(
      this.#client,
      'IDENTIFY_SYSTEM',
    );
    if (!row) throw this.#unexpected('IDENTIFY_SYSTEM', 'no row');
    return {
      systemIdentifier: String(row.systemid),
      timeline: Number(row.timeline),
      xlogpos: String(row.xlogpos),
    };
  }

  /** The server's WAL segment size in bytes (`SHOW wal_segment_size`, allowed on walsenders). */
  async walSegmentSize(): Promise<number> {
    const [row] = await runQuery<{ wal_segment_size: string }>(
      this.#client,
      'SHOW wal_segment_size',
    );
    const match = /^(\d+)\s*(kB|MB|GB)?$/.exec(row?.wal_segment_size ?? '');
    if (!match) throw this.#unexpected('SHOW wal_segment_size', `'${row?.wal_segment_size}'`);
    const unit = { kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[match[2] ?? ''] ?? 1;
    return Number(match[1]) * unit;
  }

  /** The server's version number (`SHOW server_version_num`), e.g. 150004. */
  async serverVersionNum(): Promise<number> {
    const [row] = await runQuery<{ server_version_num: string }>(
      this.#client,
      'SHOW server_version_num',
    );
    return Number(row?.server_version_num);
  }

  /** TIMELINE_HISTORY: the history file of a timeline (its name and bytes). */
  async timelineHistory(timeline: TimelineId): Promise<{ name: string; content: Buffer }> {
    const [row] = await runQuery<{ filename: string; content: Buffer | string }>(
      this.#client,
      `TIMELINE_HISTORY ${timeline}`,
    );
    if (!row) throw this.#unexpected('TIMELINE_HISTORY', 'no row');
    const content =
      typeof row.content === 'string' ? Buffer.from(row.content) : Buffer.from(row.content);
    return { name: row.filename, content };
  }

  /** CREATE_REPLICATION_SLOT ... PHYSICAL RESERVE_WAL: a slot that keeps WAL from now on. */
  async createSlot(name: string): Promise<void> {
    await runQuery(
      this.#client,
      `CREATE_REPLICATION_SLOT ${checkedSlot(name)} PHYSICAL RESERVE_WAL`,
    );
  }

  /** DROP_REPLICATION_SLOT ... WAIT. */
  async dropSlot(name: string): Promise<void> {
    await runQuery(this.#client, `DROP_REPLICATION_SLOT ${checkedSlot(name)} WAIT`);
  }

  /**
   * READ_REPLICATION_SLOT (PostgreSQL 15+): the slot's restart position; undefined when the slot
   * does not exist. On 14, which lacks the command, returns undefined too.
   */
  async readSlot(name: string, serverVersionNum: number): Promise<SlotPosition | undefined> {
    if (serverVersionNum < 150000) return undefined;
    const [row] = await runQuery<{
      slot_type: string | null;
      restart_lsn: string | null;
      restart_tli: string | number | null;
    }>(this.#client, `READ_REPLICATION_SLOT ${checkedSlot(name)}`);
    if (!row || row.slot_type === null) return undefined;
    return {
      restartLsn: row.restart_lsn ? parseLsn(row.restart_lsn) : undefined,
      restartTimeline: row.restart_tli ? toTimelineId(Number(row.restart_tli)) : undefined,
    };
  }

  /** START_REPLICATION [SLOT s] PHYSICAL lsn TIMELINE tli: the CopyBoth stream. */
  startReplication(request: StartReplication): ReplicationStream {
    const slot = request.slot ? `SLOT ${checkedSlot(request.slot)} ` : '';
    const position = `${(request.start >> 32n).toString(16).toUpperCase()}/${(request.start & 0xffffffffn).toString(16).toUpperCase()}`;
    const stream = new ReplicationStream(
      `START_REPLICATION ${slot}PHYSICAL ${position} TIMELINE ${request.timeline}`,
    );
    this.#client.query(stream as unknown as pg.Submittable);
    return stream;
  }

  /**
   * BASE_BACKUP: the whole cluster as tar archives, with the manifest. Uses the parenthesised
   * option list on PostgreSQL 15+ and the old keyword syntax on 14; WAL is never included (it
   * comes from the archive) and the server does not wait for archiving (barkeep's --wait does).
   * The manifest's checksums are CRC-32C, pg_basebackup's default: the server computes them as
   * it sends, and SHA-256 over the whole cluster made the server the bottleneck of a backup.
   */
  baseBackup(options: BaseBackupOptions, serverVersionNum: number): BaseBackupStream {
    const label = options.label.replace(/'/g, "''");
    let command: string;
    if (serverVersionNum >= 150000) {
      const parts = [
        `LABEL '${label}'`,
        'PROGRESS',
        `CHECKPOINT '${options.fastCheckpoint ? 'fast' : 'spread'}'`,
        'WAIT false',
        "MANIFEST 'yes'",
        "MANIFEST_CHECKSUMS 'CRC32C'",
        'TABLESPACE_MAP',
      ];
      if (options.serverCompression) {
        parts.push(`COMPRESSION '${options.serverCompression.method}'`);
        if (options.serverCompression.detail)
          parts.push(`COMPRESSION_DETAIL '${options.serverCompression.detail}'`);
      }
      command = `BASE_BACKUP (${parts.join(', ')})`;
    } else {
      command = `BASE_BACKUP LABEL '${label}' PROGRESS ${options.fastCheckpoint ? 'FAST ' : ''}NOWAIT TABLESPACE_MAP MANIFEST 'yes' MANIFEST_CHECKSUMS 'CRC32C'`;
    }
    const stream = new BaseBackupStream(command, serverVersionNum >= 150000);
    this.#client.query(stream as unknown as pg.Submittable);
    return stream;
  }

  /** Called when the connection drops while idle or streaming. */
  onError(listener: (error: Error) => void): void {
    this.#client.on('error', listener);
  }

  /** Closes the connection; safe to call on a broken one. */
  async close(): Promise<void> {
    await this.#client.end().catch(() => {
      // The socket is already gone; there is nothing left to close.
    });
  }

  #unexpected(command: string, why: string): BarkeepError {
    return new BarkeepError('postgresQuery', {
      what: `unexpected answer to ${command}`,
      subject: this.#subject,
      why,
    });
  }
}

function checkedSlot(name: string): string {
  if (!SLOT_NAME.test(name)) {
    throw new BarkeepError('configInvalidValue', {
      what: 'invalid replication slot name',
      subject: name,
      why: 'use lower-case letters, digits and underscores (at most 63)',
    });
  }
  return name;
}
