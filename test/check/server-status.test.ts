import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type StatusLine, serverStatus } from '../../src/check/server-status.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { receiveWal } from '../../src/streaming/receive-wal.ts';
import { testVersions, useCluster } from '../support/cluster.ts';
import { waitFor } from '../support/receiver.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'barkeep-status-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Server `pg` with these lines, its catalog under `<dir>/<home>`. */
async function serverWith(home: string, lines: string[]): Promise<ServerConfig> {
  const file = join(dir, `${home}-${Math.random().toString(36).slice(2)}.conf`);
  await writeFile(
    file,
    ['[barkeep]', `barman_home = ${join(dir, home)}`, '', '[pg]', ...lines, ''].join('\n'),
  );
  return (await loadConfig({ explicitFile: file })).servers.get('pg')!;
}

function byKey(lines: StatusLine[]): Map<string, StatusLine['value']> {
  return new Map(lines.map((line) => [line.key, line.value]));
}

/** The keys of the lines among `known`, in order (lines about other subjects left out). */
function keysAmong(lines: StatusLine[], known: readonly string[]): string[] {
  return lines.map((line) => line.key).filter((key) => known.includes(key));
}

/** Every key this suite is about: the server, PostgreSQL, the receiver, the archive. */
const KEYS = [
  'description',
  'active',
  'postgresql',
  'postgresql_version',
  'cluster_state',
  'data_directory',
  'current_xlog',
  'current_lsn',
  'archive_command',
  'last_archived_wal',
  'failed_count',
  'receiver_state',
  'receiver_connection',
  'receiver_flushed_lsn',
  'receiver_lag_bytes',
  'receiver_lag_seconds',
  'replication_slot',
  'archiver_errors',
];

for (const major of testVersions()) {
  describe(`serverStatus, PostgreSQL ${major}`, () => {
    const handle = useCluster({ major, label: 'status' });
    let streaming: string[];

    before(() => {
      streaming = [
        'description = the status test',
        `conninfo = ${handle.cluster.conninfo()}`,
        `streaming_conninfo = ${handle.cluster.conninfo()}`,
        'streaming_archiver = on',
        'slot_name = status_slot',
        'create_slot = auto',
      ];
    });

    it('shows the server, no receiver and a missing slot', async () => {
      const { cluster } = handle;
      const lines = await serverStatus(await serverWith('idle', streaming), process.env);
      assert.deepEqual(
        keysAmong(lines, KEYS),
        KEYS.filter((key) => key !== 'postgresql'),
      );
      const status = byKey(lines);
      assert.equal(status.get('description'), 'the status test');
      assert.equal(status.get('active'), true);
      assert.match(String(status.get('postgresql_version')), new RegExp(`^${major}\\.`));
      assert.equal(status.get('cluster_state'), 'in production');
      assert.equal(status.get('data_directory'), cluster.dataDir);
      assert.match(String(status.get('current_xlog')), /^00000001[0-9A-F]{16}$/);
      assert.match(String(status.get('current_lsn')), /^[0-9A-F]+\/[0-9A-F]+$/);
      assert.equal(status.get('last_archived_wal'), null);
      assert.equal(status.get('failed_count'), 0);
      assert.equal(status.get('receiver_state'), 'not running');
      assert.equal(status.get('receiver_connection'), 'none');
      assert.equal(status.get('receiver_flushed_lsn'), null);
      assert.equal(status.get('receiver_lag_bytes'), null);
      assert.equal(status.get('receiver_lag_seconds'), null);
      assert.equal(status.get('replication_slot'), 'status_slot (missing)');
      assert.equal(status.get('archiver_errors'), 0);
    });

    it('shows a running receiver, its connection, its flush position and its slot', async () => {
      const server = await serverWith('running', streaming);
      const controller = new AbortController();
      let flushed = false;
      const receiving = receiveWal(server, {
        logger: silentLogger,
        signal: controller.signal,
        onFlush: () => {
          flushed = true;
        },
      });
      try {
        await waitFor(() => flushed, 'a flush');
        let status = byKey(await serverStatus(server));
        // The sender's state and flush position come with the receiver's first status update.
        await waitFor(async () => {
          status = byKey(await serverStatus(server));
          return status.get('receiver_flushed_lsn') !== null;
        }, 'the flush position in pg_stat_replication');
        assert.match(
          String(status.get('receiver_state')),
          new RegExp(`^running \\(pid ${process.pid}, since \\d{4}-\\d\\d-\\d\\dT.+\\)$`),
        );
        assert.equal(status.get('receiver_connection'), 'streaming (async)');
        assert.match(String(status.get('receiver_flushed_lsn')), /^[0-9A-F]+\/[0-9A-F]+$/);
        assert.equal(typeof status.get('receiver_lag_bytes'), 'number');
        assert.match(
          String(status.get('replication_slot')),
          /^status_slot \(active, restart [0-9A-F]+\/[0-9A-F]+\)$/,
        );
        // The same catalog seen through a conninfo that reaches nothing: one line says so.
        const unreachable = await serverWith('running', [
          'conninfo = host=127.0.0.1 port=1 user=postgres connect_timeout=2',
          'streaming_archiver = on',
        ]);
        const down = await serverStatus(unreachable);
        assert.deepEqual(keysAmong(down, KEYS), [
          'description',
          'active',
          'postgresql',
          'receiver_state',
          'archiver_errors',
        ]);
        const downStatus = byKey(down);
        assert.match(String(downStatus.get('postgresql')), /^unreachable \(.*refused.*\)$/);
        assert.equal(downStatus.get('receiver_state'), `running (pid ${process.pid})`);
      } finally {
        controller.abort();
        await receiving;
      }
      const stopped = byKey(await serverStatus(server));
      assert.equal(stopped.get('receiver_state'), 'not running');
      assert.match(String(stopped.get('replication_slot')), /^status_slot \(inactive, restart /);
      await handle.cluster.query("SELECT pg_drop_replication_slot('status_slot')");
    });

    it('leaves out the receiver without streaming_archiver, and the slot without slot_name', async () => {
      const plain = byKey(
        await serverStatus(await serverWith('plain', [`conninfo = ${handle.cluster.conninfo()}`])),
      );
      assert.equal(plain.has('receiver_state'), false);
      assert.equal(plain.get('description'), null);
      const noSlot = byKey(
        await serverStatus(
          await serverWith('noslot', [
            `conninfo = ${handle.cluster.conninfo()}`,
            'streaming_archiver = on',
          ]),
        ),
      );
      assert.equal(noSlot.get('replication_slot'), null);
      const down = await serverStatus(
        await serverWith('down', ['conninfo = host=127.0.0.1 port=1 user=postgres']),
      );
      assert.deepEqual(keysAmong(down, KEYS), [
        'description',
        'active',
        'postgresql',
        'archiver_errors',
      ]);
    });

    it('shows only the catalog without a conninfo', async () => {
      const lines = await serverStatus(await serverWith('noconn', ['active = false']));
      assert.deepEqual(
        lines.filter((line) => KEYS.includes(line.key)),
        [
          { key: 'description', label: 'Description', value: null },
          { key: 'active', label: 'Active', value: false },
          { key: 'archiver_errors', label: 'Files in errors/', value: 0 },
        ],
      );
    });
  });
}
