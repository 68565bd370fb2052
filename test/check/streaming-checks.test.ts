import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  receiverRunningCheck,
  receiverSender,
  replicationSlotCheck,
} from '../../src/check/streaming-checks.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { openConnection } from '../../src/postgres/connect.ts';
import { type ReplicationView, readReplicationView } from '../../src/postgres/replication-view.ts';
import { receiveWal } from '../../src/streaming/receive-wal.ts';
import { testVersions, useCluster } from '../support/cluster.ts';
import { waitFor } from '../support/receiver.ts';

let dir: string;
let counter = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'barkeep-streaming-checks-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serverWith(lines: string[]): Promise<ServerConfig> {
  const file = join(dir, `barkeep-${++counter}.conf`);
  await writeFile(
    file,
    ['[barkeep]', `barman_home = ${join(dir, `home-${counter}`)}`, '', '[pg]', ...lines, ''].join(
      '\n',
    ),
  );
  return (await loadConfig({ explicitFile: file })).servers.get('pg')!;
}

for (const major of testVersions()) {
  describe(`streaming checks, PostgreSQL ${major}`, () => {
    const handle = useCluster({ major, label: 'streaming-checks' });
    let lines: string[];

    before(() => {
      lines = [
        `conninfo = ${handle.cluster.conninfo()}`,
        'streaming_archiver = on',
        'slot_name = checks_slot',
        'create_slot = auto',
      ];
    });

    async function view(): Promise<ReplicationView> {
      const client = await openConnection(handle.cluster.conninfo());
      try {
        return await readReplicationView(client);
      } finally {
        await client.end();
      }
    }

    it('fails both checks when no receiver runs and the slot is missing', async () => {
      const server = await serverWith(lines);
      assert.deepEqual(await receiverRunningCheck(server), {
        name: 'receive-wal running',
        ok: false,
        hint: "no receiver runs for this server; start 'barkeep receive-wal pg' (cron and serve keep it running)",
      });
      assert.deepEqual(replicationSlotCheck(server, await view()), {
        name: 'replication slot',
        ok: false,
        hint: "slot 'checks_slot' does not exist; run 'barkeep receive-wal --create-slot pg' or set create_slot = auto",
      });
      assert.equal(receiverSender(server, await view()), undefined);
    });

    it('passes both checks while the receiver streams through its slot', async () => {
      const server = await serverWith([...lines, 'streaming_archiver_name = checks_receiver']);
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
        assert.deepEqual(await receiverRunningCheck(server), {
          name: 'receive-wal running',
          ok: true,
        });
        const current = await view();
        assert.deepEqual(replicationSlotCheck(server, current), {
          name: 'replication slot',
          ok: true,
        });
        const sender = receiverSender(server, current);
        assert.equal(sender?.applicationName, 'checks_receiver');
        assert.equal(sender?.state, 'streaming');
        const slot = current.slots.find((candidate) => candidate.name === 'checks_slot');
        assert.equal(slot?.type, 'physical');
        assert.equal(slot?.activePid, sender?.pid);
        // The default application_name finds nothing: the sender is found by its name.
        assert.equal(receiverSender(await serverWith(lines), current), undefined);
      } finally {
        controller.abort();
        await receiving;
      }
    });

    it('fails the slot check for a slot no receiver uses', async () => {
      const server = await serverWith(lines);
      assert.deepEqual(replicationSlotCheck(server, await view()), {
        name: 'replication slot',
        ok: false,
        hint: "slot 'checks_slot' exists but no receiver uses it",
      });
      await handle.cluster.query("SELECT pg_drop_replication_slot('checks_slot')");
    });
  });
}
