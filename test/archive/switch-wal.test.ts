import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { switchWal } from '../../src/archive/switch-wal.ts';
import { ensureServerLayout, lockPath } from '../../src/catalog/server-layout.ts';
import { decompressBuffer } from '../../src/compression/compress-buffer.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { acquireLock } from '../../src/storage/process-lock.ts';
import { shareWithPostgres } from '../support/archived-server.ts';
import { useCluster } from '../support/cluster.ts';
import { Catalogs, storedSegmentPath, type TestServer } from './archive-fixtures.ts';

// archive_command fails until a test points it at incoming/.
const pg = useCluster({
  label: 'switch-wal',
  initdbArgs: ['--wal-segsize=1'],
  settings: { archive_mode: 'on', archive_command: 'false', wal_keep_size: '1GB' },
});
const catalogs = new Catalogs();
let catalog: TestServer;

async function currentSegment(): Promise<string> {
  const [row] = await pg.cluster.query<{ name: string }>(
    'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
  );
  return row!.name;
}

async function writeSomething(): Promise<string> {
  await pg.cluster.query('CREATE TABLE IF NOT EXISTS t (g int)');
  await pg.cluster.query('INSERT INTO t SELECT generate_series(1, 1000)');
  return currentSegment();
}

async function archiveCommand(command: string): Promise<void> {
  await pg.cluster.query(`ALTER SYSTEM SET archive_command = '${command}'`);
  await pg.cluster.query('SELECT pg_reload_conf()');
}

async function notInTime(promise: Promise<unknown>, segment: string): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
    assert.equal(error.what, 'WAL segment not archived in time');
    assert.equal(error.subject, segment);
    assert.equal(
      error.why,
      `it did not reach ${storedSegmentPath(catalog.layout, segment)} within 1 s`,
    );
    assert.match(error.hint, new RegExp(`'barkeep check ${catalog.server.name}'`));
    return true;
  });
}

describe('switchWal', () => {
  // Inside the suite: top-level hooks start at once, this one needs the cluster started.
  before(async () => {
    catalog = await catalogs.server([`conninfo = ${pg.cluster.conninfo()}`, 'compression = gzip']);
    await ensureServerLayout(catalog.layout);
    // archive_command runs as the postgres OS user when we are root.
    shareWithPostgres(catalogs.dir);
  });

  it('needs conninfo', async () => {
    const { server } = await catalogs.server([]);
    await assert.rejects(switchWal(server, {}, silentLogger), (error) =>
      isBarkeepError(error, 'configInvalidValue'),
    );
  });

  it('closes the segment written to', async () => {
    const segment = await writeSomething();
    const result = await switchWal(catalog.server, {}, silentLogger);
    assert.deepEqual(result, { closedSegment: segment, archived: false });
    assert.notEqual(await currentSegment(), segment);
  });

  it('has nothing to switch on an idle server, and switches anyway with force', async () => {
    // A background record (bgwriter's running-xacts snapshot) may still land: allow retries.
    let idle = await switchWal(catalog.server, {}, silentLogger);
    for (let attempt = 0; attempt < 3 && idle.closedSegment !== undefined; attempt++) {
      idle = await switchWal(catalog.server, {}, silentLogger);
    }
    assert.deepEqual(idle, { closedSegment: undefined, archived: false });
    const segment = await currentSegment();
    const forced = await switchWal(catalog.server, { force: true }, silentLogger);
    assert.deepEqual(forced, { closedSegment: segment, archived: false });
  });

  it('with archive, fails with a clear error when the segment does not arrive in time', async () => {
    const segment = await writeSomething();
    const started = Date.now();
    await notInTime(
      switchWal(catalog.server, { archive: true, archiveTimeoutSeconds: 1 }, silentLogger),
      segment,
    );
    assert.ok(Date.now() - started >= 1000);
  });

  it('with archive, stops when interrupted', async () => {
    await writeSomething();
    await assert.rejects(
      switchWal(catalog.server, { archive: true, signal: AbortSignal.abort() }, silentLogger),
      { name: 'AbortError' },
    );
  });

  it('with archive, ends the wait on an archive-wal failure other than a running pass', async () => {
    const broken = await catalogs.server([`conninfo = ${pg.cluster.conninfo()}`]);
    await ensureServerLayout(broken.layout);
    await writeFile(broken.layout.identityFile, 'not json');
    await writeSomething();
    await assert.rejects(
      switchWal(broken.server, { archive: true, archiveTimeoutSeconds: 30 }, silentLogger),
      (error) =>
        isBarkeepError(error, 'operationFailed') && error.what === 'cannot read server identity',
    );
  });

  it('with archive, waits until the stored segment is in xlog.db too', async () => {
    // A copy straight into wals/, never indexed: stored, but not archived as far as listings go.
    const wals = catalog.layout.wals;
    await archiveCommand(`d=${wals}/$(echo %f | cut -c1-16) && mkdir -p $d && cp %p $d/%f`);
    const segment = await writeSomething();
    await notInTime(
      switchWal(catalog.server, { archive: true, archiveTimeoutSeconds: 1 }, silentLogger),
      segment,
    );
    assert.ok(existsSync(storedSegmentPath(catalog.layout, segment)));
  });

  it('with archive, moves the segment from incoming/ itself unless another pass runs', async () => {
    await archiveCommand(
      `test ! -f ${catalog.layout.incoming}/%f && cp %p ${catalog.layout.incoming}/%f`,
    );
    const held = await acquireLock(lockPath(catalog.layout, 'archive-wal'), 'archive-wal');
    const blocked = await writeSomething();
    try {
      await notInTime(
        switchWal(catalog.server, { archive: true, archiveTimeoutSeconds: 1 }, silentLogger),
        blocked,
      );
    } finally {
      await held.release();
    }
    const segment = await writeSomething();
    const result = await switchWal(
      catalog.server,
      { archive: true, archiveTimeoutSeconds: 30 },
      silentLogger,
    );
    assert.deepEqual(result, { closedSegment: segment, archived: true });
    for (const name of [blocked, segment]) {
      const stored = await readFile(storedSegmentPath(catalog.layout, name));
      const original = await readFile(join(pg.cluster.dataDir, 'pg_wal', name));
      assert.ok((await decompressBuffer(stored)).equals(original), name);
    }
    assert.ok(existsSync(catalog.layout.identityFile), 'the identity was learned from conninfo');
  });
});
