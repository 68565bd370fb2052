import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { archiveIncoming } from '../../src/archive/archive-incoming.ts';
import type { CheckResult } from '../../src/check/check-result.ts';
import { runServerChecks } from '../../src/check/run-server-checks.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { receiveWal } from '../../src/streaming/receive-wal.ts';
import { shareWithPostgres } from '../support/archived-server.ts';
import { testVersions, useCluster } from '../support/cluster.ts';

// Created now, not in a hook: the clusters' archive_command below needs the path.
const dir = mkdtempSync(join(tmpdir(), 'barkeep-check-test-'));
const readyIncoming = join(dir, 'home', 'ready', 'incoming');
mkdirSync(readyIncoming, { recursive: true });
shareWithPostgres(dir);
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serverFrom(name: string, serverLines: string[]): Promise<ServerConfig> {
  const file = join(dir, `${name}.conf`);
  const lines = [
    '[barkeep]',
    `barman_home = ${join(dir, 'home')}`,
    '',
    `[${name}]`,
    ...serverLines,
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return (await loadConfig({ explicitFile: file })).servers.get(name)!;
}

async function checkWith(name: string, serverLines: string[]): Promise<Map<string, CheckResult>> {
  const report = await runServerChecks(await serverFrom(name, serverLines), {
    logger: silentLogger,
  });
  return new Map(report.results.map((result) => [result.name, result]));
}

async function waitForFile(directory: string): Promise<void> {
  for (let i = 0; i < 200 && (await readdir(directory)).length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const major of testVersions()) {
  describe(`check on PostgreSQL ${major}`, () => {
    const ready = useCluster({
      major,
      label: 'check',
      settings: { archive_mode: 'on', archive_command: `cp %p ${readyIncoming}/%f` },
    });
    const bare = useCluster({
      major,
      label: 'check-bare',
      settings: { wal_level: 'minimal', max_wal_senders: 0, archive_mode: 'off' },
    });

    it('passes every check on a well-configured server and records its identity', async () => {
      await ready.cluster.query('CREATE TABLE shipped AS SELECT 1 AS one');
      await ready.cluster.query('SELECT pg_switch_wal()');
      await waitForFile(readyIncoming);
      const server = await serverFrom('ready', [
        `conninfo = ${ready.cluster.conninfo()}`,
        'archiver = on',
      ]);
      // archive_command's cp may still be writing the segment: archive-wal defers it, then takes it.
      let archived = 0;
      for (let attempt = 0; attempt < 50 && archived === 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        archived = (await archiveIncoming(server, silentLogger)).archived.length;
      }
      assert.ok(archived > 0);
      const streamingLines = [
        `conninfo = ${ready.cluster.conninfo()}`,
        `streaming_conninfo = ${ready.cluster.conninfo()}`,
        'archiver = on',
        'streaming_archiver = on',
        'slot_name = barkeep',
        'create_slot = auto',
      ];
      const stopReceiver = new AbortController();
      let flushed = false;
      const receiving = receiveWal(await serverFrom('ready', streamingLines), {
        logger: silentLogger,
        signal: stopReceiver.signal,
        onFlush: () => {
          flushed = true;
        },
      });
      let results: Map<string, CheckResult>;
      try {
        await ready.cluster.query('INSERT INTO shipped VALUES (2)');
        for (let i = 0; i < 200 && !flushed; i++)
          await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok(flushed, 'the receiver flushed WAL');
        results = await checkWith('ready', streamingLines);
      } finally {
        stopReceiver.abort();
        await receiving;
      }
      for (const result of results.values()) assert.ok(result.ok, `${result.name}: ${result.hint}`);
      assert.deepEqual(
        [...results.keys()],
        [
          'PostgreSQL',
          'superuser or standard user with backup privileges',
          'wal_level',
          'archive_mode',
          'archive_command',
          'archive_command target',
          'incoming WAL processing',
          'continuous archiving',
          'max_wal_senders',
          'replication slot',
          'PostgreSQL streaming',
          'receive-wal running',
          'directories',
          'WAL archive',
          'archiver errors',
          'systemid coherence',
        ],
      );
      const [row] = await ready.cluster.query<{ id: string }>(
        'SELECT system_identifier::text AS id FROM pg_control_system()',
      );
      const identity = JSON.parse(
        await readFile(join(dir, 'home', 'ready', 'identity.json'), 'utf8'),
      );
      assert.equal(identity.systemid, row!.id);
      assert.equal(identity.version, String(major));
      const again = await checkWith('ready', [
        `conninfo = ${ready.cluster.conninfo()}`,
        'archiver = on',
      ]);
      assert.equal(again.get('systemid coherence')!.ok, true);
      assert.equal(again.get('systemid coherence')!.hint, undefined);
    });

    it('fails when the catalog belongs to another cluster', async () => {
      await writeFile(
        join(dir, 'home', 'ready', 'identity.json'),
        '{"systemid": "1234", "version": "15"}',
      );
      const results = await checkWith('ready', [
        `conninfo = ${ready.cluster.conninfo()}`,
        'archiver = on',
      ]);
      assert.equal(results.get('systemid coherence')!.ok, false);
      assert.match(results.get('systemid coherence')!.hint!, /belongs to 1234/);
    });

    it('names wal_level, archive_mode, archive_command and max_wal_senders problems', async () => {
      const results = await checkWith('bare', [
        `conninfo = ${bare.cluster.conninfo()}`,
        'archiver = on',
        'streaming_archiver = on',
      ]);
      assert.match(results.get('wal_level')!.hint!, /wal_level is 'minimal'/);
      assert.match(results.get('archive_mode')!.hint!, /archive_mode is 'off'/);
      assert.match(results.get('archive_command')!.hint!, /archive_command is not set/);
      assert.match(results.get('max_wal_senders')!.hint!, /max_wal_senders is 0/);
      assert.equal(results.get('PostgreSQL streaming')!.ok, false);
    });

    it('lists the privileges a non-superuser lacks', async () => {
      await ready.cluster.query('CREATE ROLE plain LOGIN');
      const results = await checkWith('plain', [
        `conninfo = ${ready.cluster.conninfo({ user: 'plain' })}`,
        'archiver = on',
      ]);
      const privileges = results.get('superuser or standard user with backup privileges')!;
      assert.equal(privileges.ok, false);
      assert.match(privileges.hint!, /role pg_read_all_settings/);
      assert.match(privileges.hint!, /EXECUTE on pg_(backup_start|start_backup)\(\)/);
      assert.match(privileges.hint!, /the REPLICATION attribute/);
    });

    it('accepts a non-superuser with the documented grants', async () => {
      const v15 = major >= 15;
      await ready.cluster.query('CREATE ROLE backup LOGIN REPLICATION');
      await ready.cluster.query(
        `GRANT pg_read_all_settings, pg_read_all_stats${v15 ? ', pg_checkpoint' : ''} TO backup`,
      );
      const functions = v15
        ? ['pg_backup_start(text, boolean)', 'pg_backup_stop(boolean)']
        : [
            'pg_start_backup(text, boolean, boolean)',
            'pg_stop_backup()',
            'pg_stop_backup(boolean, boolean)',
          ];
      for (const fn of [...functions, 'pg_switch_wal()', 'pg_create_restore_point(text)']) {
        await ready.cluster.query(`GRANT EXECUTE ON FUNCTION ${fn} TO backup`);
      }
      const results = await checkWith('backup', [
        `conninfo = ${ready.cluster.conninfo({ user: 'backup' })}`,
        'archiver = on',
      ]);
      const privileges = results.get('superuser or standard user with backup privileges')!;
      assert.equal(privileges.ok, true, privileges.hint);
    });

    it('reports an unreachable server and missing archiving as failures, not exceptions', async () => {
      const results = await checkWith('down', [
        'conninfo = host=127.0.0.1 port=1 user=postgres connect_timeout=2',
      ]);
      assert.equal(results.get('PostgreSQL')!.ok, false);
      assert.match(results.get('PostgreSQL')!.hint!, /refused/);
      assert.match(
        results.get('archiver enabled')!.hint!,
        /neither archiver nor streaming_archiver/,
      );
      assert.equal(results.get('directories')!.ok, true);
      const none = await checkWith('noconn', ['archiver = on']);
      assert.match(none.get('PostgreSQL')!.hint!, /conninfo is not set/);
    });
  });
}
