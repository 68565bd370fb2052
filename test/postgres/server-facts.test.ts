import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { openConnection } from '../../src/postgres/connect.ts';
import { readServerFacts, type ServerFacts } from '../../src/postgres/server-facts.ts';
import { smokeVersions, useCluster } from '../support/cluster.ts';

for (const major of smokeVersions()) {
  describe(`readServerFacts on PostgreSQL ${major}`, () => {
    const handle = useCluster({ major, initdbArgs: ['--wal-segsize=1'], label: `facts${major}` });

    async function factsAs(user: string): Promise<ServerFacts> {
      const { cluster } = handle;
      const client = await openConnection(
        `host=${cluster.socketDir} port=${cluster.port} user=${user} dbname=postgres`,
        { env: {} },
      );
      try {
        return await readServerFacts(client);
      } finally {
        await client.end();
      }
    }

    before(async () => {
      const { cluster } = handle;
      await cluster.query('CREATE ROLE plain LOGIN');
      await cluster.query('CREATE ROLE backup_role LOGIN REPLICATION');
      await cluster.query('GRANT pg_read_all_settings, pg_read_all_stats TO backup_role');
      const start =
        major >= 15 ? 'pg_backup_start(text, boolean)' : 'pg_start_backup(text, boolean, boolean)';
      const stop = major >= 15 ? 'pg_backup_stop(boolean)' : 'pg_stop_backup(boolean, boolean)';
      for (const fn of [start, stop, 'pg_switch_wal()']) {
        await cluster.query(`GRANT EXECUTE ON FUNCTION ${fn} TO backup_role`);
      }
      if (major >= 15) await cluster.query('GRANT pg_checkpoint TO backup_role');
    });

    it('reads everything as superuser', async () => {
      const facts = await factsAs('postgres');
      assert.equal(Math.floor(facts.serverVersionNum / 10000), major);
      assert.match(facts.serverVersion, new RegExp(`^${major}\\.`));
      assert.match(facts.systemIdentifier ?? '', /^\d{15,20}$/);
      const [control] = await handle.cluster.query<{ id: string }>(
        'SELECT system_identifier::text AS id FROM pg_control_system()',
      );
      assert.equal(facts.systemIdentifier, control?.id);
      assert.equal(facts.currentUser, 'postgres');
      assert.equal(facts.isSuperuser, true);
      assert.equal(facts.hasReplicationAttribute, true);
      assert.equal(facts.isInRecovery, false);
      assert.deepEqual(facts.canExecute, {
        backupStart: true,
        backupStop: true,
        switchWal: true,
        createRestorePoint: true,
      });
      assert.equal(
        facts.backupFunctions.start,
        major >= 15 ? 'pg_backup_start' : 'pg_start_backup',
      );
      assert.equal(facts.roleMemberships.pg_monitor, true);
      assert.equal(facts.roleMemberships.pg_checkpoint, major >= 15 ? true : undefined);
      assert.equal(facts.walLevel, 'replica');
      assert.ok(['on', 'off', 'always'].includes(facts.archiveMode ?? ''));
      assert.equal(typeof facts.archiveCommand, 'string');
      assert.equal(facts.archiveLibrary === undefined, major < 15);
      assert.ok((facts.maxWalSenders ?? 0) > 0);
      assert.ok((facts.maxReplicationSlots ?? 0) > 0);
      assert.equal(facts.dataDirectory, handle.cluster.dataDir);
      assert.match(facts.configFile ?? '', /postgresql\.conf$/);
      assert.match(facts.hbaFile ?? '', /pg_hba\.conf$/);
      assert.match(facts.identFile ?? '', /pg_ident\.conf$/);
      assert.equal(typeof facts.dataChecksums, 'boolean');
      assert.equal(facts.walSegmentSize, 1024 * 1024);
    });

    it('reads what a role without privileges may see, without failing', async () => {
      const facts = await factsAs('plain');
      assert.equal(facts.currentUser, 'plain');
      assert.equal(facts.isSuperuser, false);
      assert.equal(facts.hasReplicationAttribute, false);
      assert.deepEqual(facts.canExecute, {
        backupStart: false,
        backupStop: false,
        switchWal: false,
        createRestorePoint: false,
      });
      for (const role of ['pg_read_all_settings', 'pg_read_all_stats', 'pg_monitor'] as const) {
        assert.equal(facts.roleMemberships[role], false);
      }
      assert.equal(facts.dataDirectory, undefined);
      assert.equal(facts.configFile, undefined);
      assert.equal(facts.hbaFile, undefined);
      assert.equal(facts.walLevel, 'replica');
      assert.equal(facts.walSegmentSize, 1024 * 1024);
      assert.match(facts.systemIdentifier ?? '', /^\d+$/);
    });

    it('sees the grants of a dedicated backup role', async () => {
      const facts = await factsAs('backup_role');
      assert.equal(facts.isSuperuser, false);
      assert.equal(facts.hasReplicationAttribute, true);
      assert.equal(facts.roleMemberships.pg_read_all_settings, true);
      assert.equal(facts.roleMemberships.pg_read_all_stats, true);
      assert.equal(facts.roleMemberships.pg_monitor, false);
      assert.equal(facts.roleMemberships.pg_checkpoint, major >= 15 ? true : undefined);
      assert.deepEqual(facts.canExecute, {
        backupStart: true,
        backupStop: true,
        switchWal: true,
        createRestorePoint: false,
      });
      assert.equal(facts.dataDirectory, handle.cluster.dataDir);
    });

    it('is undefined, not an error, when pg_control_system() is revoked', async () => {
      const { cluster } = handle;
      await cluster.query('REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC');
      try {
        const facts = await factsAs('plain');
        assert.equal(facts.systemIdentifier, undefined);
      } finally {
        await cluster.query('GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC');
      }
    });
  });
}
