import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isBarkeepError } from '../../../src/errors/barkeep-error.ts';
import { ReplicationConnection } from '../../../src/postgres/replication/replication-connection.ts';
import { parseLsn } from '../../../src/wal/lsn.ts';
import { toTimelineId } from '../../../src/wal/timeline.ts';
import { smokeVersions, type ThrowawayCluster, useCluster } from '../../support/cluster.ts';
import { promoteCluster } from '../../support/promotion.ts';

const MiB = 1024 * 1024;

/** Opens a replication connection, runs `work`, and closes it whatever happens. */
async function withConnection<T>(
  cluster: ThrowawayCluster,
  work: (connection: ReplicationConnection) => Promise<T>,
): Promise<T> {
  const connection = await ReplicationConnection.open(cluster.conninfo(), {
    applicationName: 'replication_connection_test',
  });
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

for (const major of smokeVersions()) {
  describe(`ReplicationConnection, PostgreSQL ${major}`, () => {
    const handle = useCluster({ major, label: 'repl-conn' });

    it('IDENTIFY_SYSTEM tells the system identifier, the timeline and the WAL position', async () => {
      const { cluster } = handle;
      const [control] = await cluster.query<{ system_identifier: string }>(
        'SELECT system_identifier::text FROM pg_control_system()',
      );
      const identity = await withConnection(cluster, (connection) => connection.identifySystem());
      const [after] = await cluster.query<{ lsn: string }>(
        'SELECT pg_current_wal_flush_lsn()::text AS lsn',
      );
      assert.equal(identity.systemIdentifier, control!.system_identifier);
      assert.equal(identity.timeline, 1);
      assert.ok(parseLsn(identity.xlogpos) > 0n);
      assert.ok(parseLsn(identity.xlogpos) <= parseLsn(after!.lsn));
    });

    it('reads the WAL segment size (16 MiB) and the server version number', async () => {
      const { cluster } = handle;
      const [row] = await cluster.query<{ server_version_num: string }>('SHOW server_version_num');
      await withConnection(cluster, async (connection) => {
        assert.equal(await connection.walSegmentSize(), 16 * MiB);
        const version = await connection.serverVersionNum();
        assert.equal(version, Number(row!.server_version_num));
        assert.equal(Math.floor(version / 10000), major);
      });
    });

    it('reads BASE_BACKUP CopyData from the socket in place, then gives the connection back to pg in step', async () => {
      const { cluster } = handle;
      await withConnection(cluster, async (connection) => {
        const version = await connection.serverVersionNum();
        const stream = connection.baseBackup(
          { label: 'demux test', fastCheckpoint: true },
          version,
        );
        let archiveBytes = 0;
        let manifest = '';
        let inManifest = false;
        const archives: string[] = [];
        let readsSocket = false;
        stream.on('archive', ({ name }) => {
          archives.push(name);
          readsSocket ||= stream.readsSocket;
        });
        stream.on('manifest', () => (inManifest = true));
        stream.on('data', (bytes) => {
          if (inManifest) manifest += bytes.toString('utf8');
          else archiveBytes += bytes.length;
        });
        await new Promise<void>((resolve, reject) => {
          stream.on('done', resolve);
          stream.on('error', reject);
        });
        assert.equal(readsSocket, true, 'the CopyData went through pg');
        assert.equal(stream.readsSocket, false, 'the socket was not given back after the command');
        assert.deepEqual(archives, ['base.tar']);
        // Whole tar blocks, and the manifest as the server wrote it (its own checksum checks out).
        assert.equal(archiveBytes % 512, 0);
        assert.ok(archiveBytes > 1024 * 1024);
        assert.match(manifest, /^\{ "PostgreSQL-Backup-Manifest-Version": [12],/);
        const stated = /"Manifest-Checksum": "([0-9a-f]{64})"\}\n$/.exec(manifest)?.[1];
        const covered = manifest.slice(0, manifest.lastIndexOf('"Manifest-Checksum"'));
        assert.equal(createHash('sha256').update(covered).digest('hex'), stated);
        // pg's own parser reads the next command's replies in step.
        const identity = await connection.identifySystem();
        assert.equal(identity.timeline, 1);
      });
    });

    it('connects with the given application_name, visible in pg_stat_activity', async () => {
      const { cluster } = handle;
      const connection = await ReplicationConnection.open(cluster.conninfo(), {
        applicationName: 'named_walsender',
        env: process.env,
        timeoutMs: 5000,
      });
      try {
        await connection.identifySystem();
        const rows = await cluster.query<{ backend_type: string }>(
          "SELECT backend_type FROM pg_stat_activity WHERE application_name = 'named_walsender'",
        );
        assert.deepEqual(rows, [{ backend_type: 'walsender' }]);
      } finally {
        await connection.close();
      }
    });

    it('creates, reads and drops a physical slot that reserves WAL', async () => {
      const { cluster } = handle;
      await withConnection(cluster, async (connection) => {
        const version = await connection.serverVersionNum();
        assert.equal(await connection.readSlot('conn_test', version), undefined);
        await connection.createSlot('conn_test');
        const [row] = await cluster.query<{ slot_type: string; restart_lsn: string }>(
          "SELECT slot_type, restart_lsn::text FROM pg_replication_slots WHERE slot_name = 'conn_test'",
        );
        assert.equal(row?.slot_type, 'physical');
        const position = await connection.readSlot('conn_test', version);
        assert.deepEqual(
          position,
          major >= 15
            ? { restartLsn: parseLsn(row!.restart_lsn), restartTimeline: toTimelineId(1) }
            : undefined,
        );
        await assert.rejects(connection.createSlot('conn_test'), (error: unknown) => {
          assert.ok(isBarkeepError(error, 'postgresQuery'));
          assert.match(error.why, /already exists.*42710/);
          return true;
        });
        await connection.dropSlot('conn_test');
        assert.equal(await connection.readSlot('conn_test', version), undefined);
        await assert.rejects(connection.dropSlot('conn_test'), (error: unknown) => {
          assert.ok(isBarkeepError(error, 'postgresQuery'));
          assert.match(error.why, /does not exist.*42704/);
          return true;
        });
      });
    });

    it('reports no slot position on PostgreSQL 14, which lacks READ_REPLICATION_SLOT', async () => {
      const { cluster } = handle;
      await withConnection(cluster, async (connection) => {
        await connection.createSlot('conn_test_14');
        try {
          // The version decides: 14 is not even asked (it would refuse the command).
          assert.equal(await connection.readSlot('conn_test_14', 140013), undefined);
          if (major >= 15) {
            assert.notEqual(await connection.readSlot('conn_test_14', 150000), undefined);
          } else {
            await assert.rejects(connection.readSlot('conn_test_14', 150000), /0A000/);
          }
        } finally {
          await connection.dropSlot('conn_test_14');
        }
      });
    });

    it('refuses an invalid slot name before sending anything', async () => {
      const { cluster } = handle;
      await withConnection(cluster, async (connection) => {
        for (const name of ['Upper', 'has-dash', '', 'a'.repeat(64), 'x; DROP TABLE t']) {
          await assert.rejects(connection.createSlot(name), (error: unknown) => {
            assert.ok(isBarkeepError(error, 'configInvalidValue'), String(error));
            assert.equal(error.subject, name);
            assert.equal(error.exitCode, 2);
            assert.match(error.why, /lower-case letters, digits and underscores/);
            return true;
          });
        }
        await assert.rejects(connection.dropSlot('Bad'), { kind: 'configInvalidValue' });
        await assert.rejects(connection.readSlot('Bad', 150000), { kind: 'configInvalidValue' });
        assert.throws(
          () =>
            connection.startReplication({
              slot: 'Bad',
              start: parseLsn('0/0'),
              timeline: toTimelineId(1),
            }),
          { kind: 'configInvalidValue' },
        );
        // The connection is still usable: nothing reached the server.
        assert.equal((await connection.identifySystem()).timeline, 1);
        await connection.createSlot('a'.repeat(63));
        await connection.dropSlot('a'.repeat(63));
      });
    });

    it('fails to connect to a port where nothing listens', async () => {
      const { cluster } = handle;
      const conninfo = cluster.conninfo().replace(/port=\d+/, 'port=1');
      await assert.rejects(ReplicationConnection.open(conninfo, { applicationName: 'nowhere' }), {
        kind: 'postgresConnection',
      });
    });

    it('tells onError listeners when the walsender is terminated, and closes quietly', async () => {
      const { cluster } = handle;
      const connection = await ReplicationConnection.open(cluster.conninfo(), {
        applicationName: 'terminated_walsender',
      });
      await connection.identifySystem();
      const errors: Error[] = [];
      const failed = new Promise<void>((resolve) =>
        connection.onError((error) => {
          errors.push(error);
          resolve();
        }),
      );
      await cluster.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'terminated_walsender'",
      );
      await failed;
      assert.ok(errors.length > 0);
      await connection.close();
      await connection.close();
      await assert.rejects(connection.identifySystem(), (error: unknown) => isBarkeepError(error));
    });

    it('TIMELINE_HISTORY returns the history file of timeline 2 after a promotion', async () => {
      const { cluster } = handle;
      await withConnection(cluster, async (connection) => {
        await assert.rejects(connection.timelineHistory(toTimelineId(2)), (error: unknown) => {
          assert.ok(isBarkeepError(error, 'postgresQuery'));
          assert.match(error.why, /58P01/);
          return true;
        });
      });
      await promoteCluster(cluster);
      await withConnection(cluster, async (connection) => {
        assert.equal((await connection.identifySystem()).timeline, 2);
        const history = await connection.timelineHistory(toTimelineId(2));
        assert.equal(history.name, '00000002.history');
        assert.ok(Buffer.isBuffer(history.content));
        assert.ok(
          history.content.equals(readFileSync(join(cluster.dataDir, 'pg_wal', '00000002.history'))),
        );
        assert.match(history.content.toString(), /^1\t0\/[0-9A-F]+\tno recovery target specified/);
      });
    });
  });
}

describe('ReplicationConnection on a cluster with 1 MiB segments', () => {
  const handle = useCluster({
    major: smokeVersions()[0],
    label: 'repl-conn-1m',
    initdbArgs: ['--wal-segsize=1'],
  });

  it('reads a WAL segment size of 1 MiB', async () => {
    await withConnection(handle.cluster, async (connection) => {
      assert.equal(await connection.walSegmentSize(), MiB);
    });
  });
});
