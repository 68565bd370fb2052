// Retention through the built CLI on a real cluster: four backups with WAL between them, the
// second kept standalone; `retention_policy = REDUNDANCY 1` makes list-backups show the first
// and third OBSOLETE; `retention --dry-run` changes nothing; `retention` deletes them and every
// WAL file the newest backup and the standalone keep do not need; the newest backup recovers
// every row and the kept one recovers to its end. The backup and archive hooks of the same
// configuration run around the real backups and put-wal.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordingScript } from '../hooks/recording-script.ts';
import { type ArchivedServer, startArchivedServer } from '../support/archived-server.ts';
import { smokeVersions } from '../support/cluster.ts';
import { startRecoveredCluster } from '../support/recovered-cluster.ts';

const BACKUP_ID = /Backup (\d{8}T\d{6})/;

interface BackupFacts {
  readonly id: string;
  readonly beginWal: string;
  readonly endWal: string;
  /** Rows in t when the backup was taken. */
  readonly rows: number;
}

async function run(server: ArchivedServer, args: string[]): Promise<string> {
  const result = await server.barkeep(args, { timeoutMs: 120_000 });
  assert.equal(result.code, 0, `${args.join(' ')}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Adds rows, archives the current segment, and takes a backup; returns what it recorded. */
async function rowsThenBackup(server: ArchivedServer, rows: number): Promise<BackupFacts> {
  await server.cluster.query(`INSERT INTO t SELECT generate_series(1, ${rows})`);
  await run(server, ['switch-wal', '--archive', '--force', 'pg']);
  const [count] = await server.cluster.query<{ n: string }>('SELECT count(*) AS n FROM t');
  const out = await run(server, ['backup', '--wait', '--immediate-checkpoint', 'pg']);
  const id = BACKUP_ID.exec(out)![1]!;
  const info = readFileSync(join(server.layout.base, id, 'backup.info'), 'utf8');
  const field = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(info)![1]!;
  return { id, beginWal: field('begin_wal'), endWal: field('end_wal'), rows: Number(count!.n) };
}

/** `list-backups -f json`: each backup's retention status, by ID. */
async function listedStatuses(server: ArchivedServer): Promise<Record<string, string>> {
  const out = await run(server, ['-f', 'json', 'list-backups', 'pg']);
  const listed = JSON.parse(out) as { pg: { backup_id: string; retention_status: string }[] };
  return Object.fromEntries(listed.pg.map((b) => [b.backup_id, b.retention_status]));
}

/** The WAL segment files (not .backup/.history) in wals/, sorted. */
function storedSegments(server: ArchivedServer): string[] {
  return readdirSync(server.layout.wals)
    .filter((name) => /^[0-9A-F]{16}$/.test(name))
    .flatMap((dir) => readdirSync(join(server.layout.wals, dir)))
    .filter((name) => /^[0-9A-F]{24}$/.test(name))
    .sort();
}

async function recoveredRows(dest: string, major: number): Promise<number> {
  const recovered = await startRecoveredCluster(dest, major);
  try {
    await recovered.waitUntilPromoted(90_000);
    const [row] = await recovered.query<{ n: string }>('SELECT count(*) AS n FROM t');
    return Number(row!.n);
  } finally {
    await recovered.stop();
  }
}

for (const major of smokeVersions()) {
  describe(`retention and keep, PostgreSQL ${major}`, () => {
    let server: ArchivedServer;
    let hooks: Awaited<ReturnType<typeof recordingScript>>;
    const backups: BackupFacts[] = [];
    let totalRows = 0;

    before(async () => {
      server = await startArchivedServer({ major, label: 'e2e-retention' });
      hooks = await recordingScript(server.dir);
      server.writeConfig([
        'retention_policy = REDUNDANCY 1',
        'minimum_redundancy = 1',
        `pre_backup_script = ${hooks.command(0)}`,
        `post_backup_script = ${hooks.command(0)}`,
        `post_archive_script = ${hooks.command(0)}`,
      ]);
      await server.cluster.query('CREATE TABLE t (g int)');
      for (const rows of [100, 200, 300, 400]) backups.push(await rowsThenBackup(server, rows));
      await server.cluster.query('INSERT INTO t SELECT generate_series(1, 500)');
      await run(server, ['switch-wal', '--archive', '--force', 'pg']);
      const [count] = await server.cluster.query<{ n: string }>('SELECT count(*) AS n FROM t');
      totalRows = Number(count!.n);
    });
    after(async () => {
      await server?.stop();
    });

    it('ran the backup hooks around each backup and the archive hook after put-wal', async () => {
      const calls = await hooks.calls();
      const backupCalls = calls.filter((c) => c.env['BARMAN_HOOK'] === 'backup_script');
      assert.equal(backupCalls.length, 8);
      const last = backups.at(-1)!;
      const around = backupCalls.filter((c) => c.env['BARMAN_BACKUP_ID'] === last.id);
      assert.deepEqual(
        around.map((c) => `${c.env['BARMAN_PHASE']} ${c.env['BARMAN_STATUS']}`),
        ['pre STARTED', 'post DONE'],
      );
      assert.equal(around[1]!.env['BARMAN_PREVIOUS_ID'], backups[2]!.id);
      assert.equal(around[1]!.env['BARMAN_BACKUP_DIR'], join(server.layout.base, last.id));
      const archived = calls.filter((c) => c.env['BARMAN_HOOK'] === 'archive_script');
      assert.ok(archived.some((c) => c.env['BARMAN_SEGMENT'] === last.endWal));
      assert.ok(archived.every((c) => c.env['BARMAN_PHASE'] === 'post' && !c.env['BARMAN_ERROR']));
    });

    it('keep --target standalone marks the second backup; --status reports it', async () => {
      const second = backups[1]!.id;
      assert.equal(await run(server, ['keep', '--target', 'standalone', 'pg', second]), '');
      assert.equal(
        await run(server, ['keep', '--status', 'pg', second]),
        'Server pg:\n\tKeep: standalone\n',
      );
      assert.equal(
        await run(server, ['keep', '--status', 'pg', backups[0]!.id]),
        'Server pg:\n\tKeep: nokeep\n',
      );
      const failed = await server.barkeep(['keep', '--release', '--status', 'pg', second]);
      assert.equal(failed.code, 2, failed.stderr);
    });

    it('list-backups shows the statuses REDUNDANCY 1 gives', async () => {
      const [first, second, third, fourth] = backups.map((b) => b.id);
      assert.deepEqual(await listedStatuses(server), {
        [first!]: 'OBSOLETE',
        [second!]: 'KEEP:STANDALONE',
        [third!]: 'OBSOLETE',
        [fourth!]: 'VALID',
      });
      const lines = (await run(server, ['list-backups', 'pg'])).trim().split('\n');
      assert.equal(lines.length, 4);
      assert.match(lines[0]!, new RegExp(`^pg ${fourth} - .* - WAL Size: [^-]*$`));
      assert.match(lines[1]!, / - OBSOLETE$/);
      assert.match(lines[2]!, / - KEEP:STANDALONE$/);
      assert.match(lines[3]!, / - OBSOLETE$/);
      const shown = await run(server, ['show-backup', 'pg', third!]);
      assert.match(shown, /Retention Policy {7}: OBSOLETE\n/);
    });

    it('retention --dry-run prints what would go and changes nothing', async () => {
      const segments = storedSegments(server);
      const out = await run(server, ['retention', '--dry-run', 'pg']);
      assert.match(out, /^Retention of server pg \(REDUNDANCY 1, minimum redundancy 1\): dry run/);
      assert.match(out, new RegExp(`${backups[0]!.id} - OBSOLETE - would be deleted`));
      assert.match(out, new RegExp(`${backups[2]!.id} - OBSOLETE - would be deleted`));
      assert.match(out, /WAL: \d+ file\(s\), .* would be removed/);
      assert.equal(readdirSync(server.layout.base).length, 4);
      assert.deepEqual(storedSegments(server), segments);
    });

    it('retention deletes the obsolete backups and the WAL no kept backup needs', async () => {
      const [, second, , fourth] = backups;
      const out = await run(server, ['retention', 'pg']);
      assert.match(out, new RegExp(`${backups[0]!.id} - OBSOLETE - deleted`));
      assert.deepEqual(readdirSync(server.layout.base).sort(), [second!.id, fourth!.id]);
      const segments = storedSegments(server);
      // Exactly the kept backup's begin..end, then everything from the newest backup's begin.
      const kept = (name: string) =>
        (name >= second!.beginWal && name <= second!.endWal) || name >= fourth!.beginWal;
      assert.deepEqual(
        segments.filter((name) => !kept(name)),
        [],
      );
      assert.ok(segments.includes(second!.beginWal) && segments.includes(second!.endWal));
      const indexed = readFileSync(server.layout.xlogDb, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[0]!);
      assert.deepEqual(indexed.filter((name) => /^[0-9A-F]{24}$/.test(name)).sort(), segments);
      for (const name of indexed.filter((n) => n.endsWith('.backup')))
        assert.ok(kept(name.slice(0, 24)), name);
      assert.deepEqual(await listedStatuses(server), {
        [second!.id]: 'KEEP:STANDALONE',
        [fourth!.id]: 'VALID',
      });
      const again = await run(server, ['retention', 'pg']);
      assert.match(again, /WAL: nothing to remove/);
    });

    it('the remaining backup recovers every row', async () => {
      const dest = join(server.dir, 'recovered-latest');
      await run(server, ['recover', 'pg', backups[3]!.id, dest]);
      assert.equal(await recoveredRows(dest, major), totalRows);
    });

    it('the standalone keep recovers to its end with only its own WAL', async () => {
      const dest = join(server.dir, 'recovered-standalone');
      const second = backups[1]!;
      await run(server, [
        'recover',
        '--target-immediate',
        '--target-action',
        'promote',
        'pg',
        second.id,
        dest,
      ]);
      assert.ok(existsSync(dest));
      assert.equal(await recoveredRows(dest, major), second.rows);
    });
  });
}
