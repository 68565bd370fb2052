// check-backup on a real backup of a throwaway cluster whose WAL is shipped by put-wal, and on
// backups written by hand for the states a real one passes through only briefly.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkBackup } from '../../src/backup/check-backup.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import { missingSegments, requiredSegments } from '../../src/backup/wait-for-wals.ts';
import {
  type BackupInfo,
  emptyBackupInfo,
  readBackupInfo,
  writeBackupInfo,
} from '../../src/catalog/backup-info.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { testVersions } from '../support/cluster.ts';
import { waitFor } from '../support/receiver.ts';
import { runCliInProcess } from '../support/run-cli-in-process.ts';

describe('check-backup', () => {
  let server: ArchivedServer;
  let config: ServerConfig;
  let info: BackupInfo;

  /** Writes a backup.info by hand under `id`; removed by `forget`. */
  async function handMade(id: string, fields: Partial<BackupInfo>): Promise<void> {
    mkdirSync(join(server.layout.base, id), { recursive: true });
    await writeBackupInfo(join(server.layout.base, id, 'backup.info'), {
      ...emptyBackupInfo(id),
      server_name: 'pg',
      ...fields,
    });
  }
  const forget = (id: string) => rmSync(join(server.layout.base, id), { recursive: true });

  /** Asserts that check-backup fails with `checkFailed` and a `why` matching `pattern`. */
  async function failsWith(selector: string, pattern: RegExp): Promise<void> {
    await assert.rejects(checkBackup(config, selector), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'checkFailed'), String(error));
      assert.equal(error.exitCode, 3);
      assert.match(error.why, pattern);
      return true;
    });
  }

  before(async () => {
    server = await startArchivedServer({ major: testVersions()[0], label: 'check-backup' });
    config = (await loadConfig({ explicitFile: server.configFile })).servers.get('pg')!;
    info = await runBackup(config, { logger: silentLogger, immediateCheckpoint: true });
    // put-wal runs as the postgres OS user: what runBackup created as root must stay writable.
    shareWithPostgres(server.dir);
    await waitFor(
      async () => (await missingSegments(config, info)).length === 0,
      'the backup WAL in the archive',
      60_000,
    );
  });
  after(async () => {
    await server?.stop();
  });

  it('passes once every segment from begin_wal to end_wal is archived', async () => {
    const checked = await checkBackup(config, info.backup_id);
    assert.deepEqual(checked.segments, requiredSegments(info));
    assert.equal(checked.segments[0], info.begin_wal);
    assert.equal(checked.segments.at(-1), info.end_wal);
    assert.equal(checked.markedDone, false);
    assert.equal(checked.info.status, 'DONE');
  });

  it('fails naming a segment missing from the archive', async () => {
    const name = info.end_wal!;
    const stored = join(server.layout.wals, name.slice(0, 16), name);
    const aside = join(server.dir, `${name}.aside`);
    renameSync(stored, aside);
    try {
      await failsWith(
        'latest',
        new RegExp(
          `^1 of the \\d+ WAL segment\\(s\\) from ${info.begin_wal} to ${name} are not in the archive: ${name}$`,
        ),
      );
      const run = await runCliInProcess(['-c', server.configFile, 'check-backup', 'pg', 'latest']);
      assert.equal(run.code, 3);
      assert.equal(run.stdout, '');
      assert.match(
        run.stderr,
        new RegExp(
          `^ERROR: backup WAL check failed '${info.backup_id}': .*: ${name}\\. Check archiving with 'barkeep check pg'`,
        ),
      );
    } finally {
      renameSync(aside, stored);
    }
    const run = await runCliInProcess([
      '-c',
      server.configFile,
      'check-backup',
      'pg',
      info.backup_id,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(
        `^Backup ${info.backup_id} of server pg: OK \\(\\d+ WAL segments? from ${info.begin_wal} to ${info.end_wal} archived\\)\\n$`,
      ),
    );
  });

  it('records a WAITING_FOR_WALS backup DONE once its WAL is all there, as Barman does', async () => {
    const id = '20000101T000001';
    await handMade(id, {
      status: 'WAITING_FOR_WALS',
      begin_wal: info.begin_wal,
      end_wal: info.end_wal,
      xlog_segment_size: info.xlog_segment_size,
    });
    try {
      const run = await runCliInProcess(['-c', server.configFile, 'check-backup', 'pg', id]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /archived; now DONE\)\n$/);
      assert.equal(
        (await readBackupInfo(join(server.layout.base, id, 'backup.info'))).status,
        'DONE',
      );
    } finally {
      forget(id);
    }
  });

  it('says so when a WAITING_FOR_WALS backup still lacks WAL, and lists at most ten', async () => {
    const id = '20000101T000002';
    await handMade(id, {
      status: 'WAITING_FOR_WALS',
      begin_wal: '0000000100000000000000A0',
      end_wal: '0000000100000000000000AE',
    });
    try {
      await failsWith(
        id,
        /^15 of the 15 WAL segment\(s\) from 0000000100000000000000A0 to 0000000100000000000000AE are not in the archive \(the backup is WAITING_FOR_WALS\): 0000000100000000000000A0, .*, 0000000100000000000000A9 and 5 more$/,
      );
      assert.match(
        readFileSync(join(server.layout.base, id, 'backup.info'), 'utf8'),
        /^status=WAITING_FOR_WALS$/m,
      );
    } finally {
      forget(id);
    }
  });

  it('fails for a backup still being taken, a FAILED one and one without WAL positions', async () => {
    await handMade('20000101T000003', { status: 'STARTED' });
    await handMade('20000101T000004', { status: 'FAILED', error: 'connection lost' });
    await handMade('20000101T000005', { status: 'DONE' });
    try {
      await failsWith('20000101T000003', /^the backup is still being taken \(STARTED\)/);
      await failsWith('last-failed', /^the backup FAILED \(connection lost\)$/);
      await failsWith(
        '20000101T000005',
        /^backup.info has no begin_wal and end_wal \(status DONE\)$/,
      );
    } finally {
      for (const id of ['20000101T000003', '20000101T000004', '20000101T000005']) forget(id);
    }
    const unknown = await runCliInProcess([
      '-c',
      server.configFile,
      'check-backup',
      'pg',
      'nameless',
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^ERROR: unknown backup 'nameless'/);
  });

  it('refuses a backup --name that a selector would take for something else', async () => {
    for (const name of ['first', 'latest', '20240101T000000']) {
      const run = await runCliInProcess(['-c', server.configFile, 'backup', '--name', name, 'pg']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^ERROR: invalid backup name '${name}': `));
    }
  });

  // Last: the spread checkpoint this starts goes on until the cluster stops.
  it('records a backup whose connection the server ends as FAILED, with the error', async () => {
    // Dirty buffers make a spread checkpoint take minutes: time enough to end the walsender.
    await server.cluster.query(
      "CREATE TABLE ballast AS SELECT g, repeat('x', 100) AS filler FROM generate_series(1, 8000) g",
    );
    const running = runBackup(config, { logger: silentLogger, immediateCheckpoint: false });
    running.catch(() => undefined);
    let pid: number | undefined;
    await waitFor(async () => {
      const rows = await server.cluster.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_progress_basebackup',
      );
      pid = rows[0]?.pid;
      return pid !== undefined;
    }, 'a base backup waiting for its checkpoint');
    await server.cluster.query('SELECT pg_terminate_backend($1)', [pid]);
    await assert.rejects(running, (error: unknown) => {
      assert.ok(isBarkeepError(error, 'postgresQuery'), String(error));
      assert.match(error.what, /^base backup failed$/);
      assert.match(
        error.why,
        /^the server ended it: terminating connection due to administrator command \(SQLSTATE 57P01\)$/,
      );
      return true;
    });
    await failsWith(
      'last-failed',
      /^the backup FAILED \(base backup failed '\d{8}T\d{6}': the server ended it: terminating connection/,
    );
  });
});
