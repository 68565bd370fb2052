import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  listBackups,
  markDeadBackupsFailed,
  readBackup,
  resolveBackup,
} from '../../src/catalog/backup-catalog.ts';
import {
  type BackupInfo,
  emptyBackupInfo,
  readBackupInfo,
  writeBackupInfo,
} from '../../src/catalog/backup-info.ts';
import {
  backupDirectory,
  formatBackupId,
  isBackupIdShaped,
  newBackupId,
} from '../../src/catalog/backup-paths.ts';
import {
  deadProcessError,
  readBackupProcess,
  recordBackupProcess,
} from '../../src/catalog/backup-process.ts';
import { checkBackupName } from '../../src/catalog/backup-selector.ts';
import { type ServerLayout, serverLayout } from '../../src/catalog/server-layout.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';

const home = mkdtempSync(join(tmpdir(), 'barkeep-catalog-'));
after(() => rmSync(home, { recursive: true, force: true }));
let count = 0;

function freshLayout(): ServerLayout {
  return serverLayout(`pg${++count}`, { barman_home: home });
}

async function addBackup(layout: ServerLayout, id: string, fields: Partial<BackupInfo> = {}) {
  const info: BackupInfo = { ...emptyBackupInfo(id), server_name: layout.server, ...fields };
  await writeBackupInfo(backupDirectory(layout, id).info, info);
  return info;
}

/** A catalog with a mix of statuses, names and an incremental backup. */
async function mixedCatalog(): Promise<ServerLayout> {
  const layout = freshLayout();
  await addBackup(layout, '20260101T000000', { status: 'FAILED', backup_name: 'broken' });
  await addBackup(layout, '20260102T000000', { status: 'DONE', backup_name: 'first-full' });
  await addBackup(layout, '20260103T000000', { status: 'FAILED' });
  await addBackup(layout, '20260104T000000', { status: 'WAITING_FOR_WALS', backup_name: 'twin' });
  await addBackup(layout, '20260105T000000', {
    status: 'DONE',
    backup_name: 'twin',
    parent_backup_id: '20260104T000000',
  });
  await addBackup(layout, '20260106T000000', { status: 'STARTED' });
  return layout;
}

async function resolved(layout: ServerLayout, selector: string): Promise<string> {
  return (await resolveBackup(layout, selector)).backup_id;
}

describe('listing backups', () => {
  it('lists base/*/backup.info sorted by ID, any status; no base/ means no backups', async () => {
    const layout = await mixedCatalog();
    const listing = await listBackups(layout);
    assert.deepEqual(
      listing.backups.map((b) => b.backup_id),
      ['20260101', '20260102', '20260103', '20260104', '20260105', '20260106'].map(
        (day) => `${day}T000000`,
      ),
    );
    assert.deepEqual(listing.problems, []);
    assert.deepEqual((await listBackups(freshLayout())).backups, []);
  });

  it('reports a missing or malformed backup.info as a problem and lists the rest', async () => {
    const layout = freshLayout();
    await addBackup(layout, '20260102T000000', { status: 'DONE' });
    await mkdir(join(layout.base, '20260101T000000'));
    await mkdir(join(layout.base, '20260103T000000'));
    await writeFile(join(layout.base, '20260103T000000', 'backup.info'), 'status=DONE\ngarbage\n');
    await mkdir(join(layout.base, '.hidden'));
    await writeFile(join(layout.base, 'stray-file'), '');
    const listing = await listBackups(layout);
    assert.deepEqual(
      listing.backups.map((b) => b.backup_id),
      ['20260102T000000'],
    );
    assert.deepEqual(
      listing.problems.map((p) => [p.backupId, p.error.kind]),
      [
        ['20260101T000000', 'backupInfoInvalid'],
        ['20260103T000000', 'backupInfoInvalid'],
      ],
    );
    assert.match(listing.problems[0]!.error.why, /no backup\.info/);
    assert.match(listing.problems[1]!.error.why, /line 2/);
    await assert.rejects(resolveBackup(layout, '20260103T000000'), /line 2/);
  });

  it('reads one backup by ID, and says when there is none', async () => {
    const layout = await mixedCatalog();
    assert.equal((await readBackup(layout, '20260102T000000')).backup_name, 'first-full');
    await assert.rejects(readBackup(layout, '20260109T000000'), (error) =>
      isBarkeepError(error, 'backupNotFound'),
    );
  });
});

describe('resolving a backup argument', () => {
  it("resolves Barman's shortcuts over complete backups only", async () => {
    const layout = await mixedCatalog();
    assert.equal(await resolved(layout, 'latest'), '20260105T000000');
    assert.equal(await resolved(layout, 'last'), '20260105T000000');
    assert.equal(await resolved(layout, 'oldest'), '20260102T000000');
    assert.equal(await resolved(layout, 'first'), '20260102T000000');
    assert.equal(await resolved(layout, 'last-failed'), '20260103T000000');
    assert.equal(await resolved(layout, 'latest-full'), '20260104T000000');
  });

  it('resolves an exact ID of any status, and a name among complete backups', async () => {
    const layout = await mixedCatalog();
    assert.equal(await resolved(layout, '20260106T000000'), '20260106T000000');
    assert.equal(await resolved(layout, '20260101T000000'), '20260101T000000');
    assert.equal(await resolved(layout, 'first-full'), '20260102T000000');
  });

  it('refuses an ambiguous name, naming both IDs', async () => {
    const layout = await mixedCatalog();
    await assert.rejects(
      resolveBackup(layout, 'twin'),
      (error) =>
        isBarkeepError(error, 'backupNotFound') &&
        /20260104T000000 20260105T000000/.test(error.why),
    );
  });

  it('says which backup carries a name that only a FAILED backup has', async () => {
    const layout = await mixedCatalog();
    await assert.rejects(
      resolveBackup(layout, 'broken'),
      (error) =>
        isBarkeepError(error, 'backupNotFound') && /20260101T000000, is FAILED/.test(error.why),
    );
  });

  it('fails with exit 1 naming what exists when nothing matches', async () => {
    const layout = await mixedCatalog();
    for (const selector of ['nope', '20991231T235959']) {
      await assert.rejects(resolveBackup(layout, selector), (error) => {
        assert.ok(isBarkeepError(error, 'backupNotFound'));
        assert.equal(error.exitCode, 1);
        assert.match(
          error.why,
          /it has 20260106T000000 \(STARTED\), 20260105T000000 'twin' \(DONE\)/,
        );
        assert.match(error.why, /and 1 older$/);
        return true;
      });
    }
    const empty = freshLayout();
    await assert.rejects(
      resolveBackup(empty, 'latest'),
      /server 'pg\d+' has no backup that is DONE or WAITING_FOR_WALS; it has no backups$/,
    );
    await addBackup(empty, '20260101T000000', { status: 'DONE' });
    await assert.rejects(
      resolveBackup(empty, 'last-failed'),
      /has no FAILED backup; it has 20260101T000000 \(DONE\)$/,
    );
  });
});

describe('backup names', () => {
  it('accepts a name unless Barman would refuse it or backup.info could not hold it', () => {
    assert.equal(checkBackupName('before upgrade'), 'before upgrade');
    for (const bad of ['', '20261124T090507', 'latest', 'last-failed', 'auto', 'a\nb', ' x']) {
      assert.throws(
        () => checkBackupName(bad),
        (error) => isBarkeepError(error, 'usage') && error.exitCode === 2,
        JSON.stringify(bad),
      );
    }
  });
});

describe('backup IDs and paths', () => {
  it("names a backup by its local start time, Barman's YYYYMMDDTHHMMSS", () => {
    const id = formatBackupId(new Date(2026, 10, 24, 9, 5, 7));
    assert.equal(id, '20261124T090507');
    assert.ok(isBackupIdShaped(id));
    assert.ok(!isBackupIdShaped('nightly'));
  });

  it('claims the directory, and takes the next free second when the ID is taken', async () => {
    const layout = freshLayout();
    const start = new Date(2026, 10, 24, 9, 5, 7);
    assert.equal(await newBackupId(layout, start), '20261124T090507');
    assert.equal(await newBackupId(layout, start), '20261124T090508');
    assert.ok((await stat(join(layout.base, '20261124T090508'))).isDirectory());
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => newBackupId(layout, start)),
    );
    assert.equal(new Set(concurrent).size, 5);
    assert.equal((await readdir(layout.base)).length, 7);
  });

  it("gives Barman's paths for the parts of a backup", () => {
    const layout = freshLayout();
    const paths = backupDirectory(layout, '20261124T090507');
    const root = join(layout.base, '20261124T090507');
    assert.equal(paths.directory, root);
    assert.equal(paths.info, join(root, 'backup.info'));
    assert.equal(paths.data, join(root, 'data'));
    assert.equal(paths.tablespace(16385), join(root, '16385'));
    assert.equal(paths.keepAnnotation, join(root, 'annotations', 'keep'));
    for (const bad of ['', '..', 'a/b']) {
      assert.throws(
        () => backupDirectory(layout, bad),
        (error) => isBarkeepError(error, 'internal'),
      );
    }
  });
});

const childScript = (layout: ServerLayout, id: string) => `
  import { writeBackupInfo, emptyBackupInfo } from ${JSON.stringify(src('backup-info.ts'))};
  import { backupDirectory } from ${JSON.stringify(src('backup-paths.ts'))};
  import { recordBackupProcess } from ${JSON.stringify(src('backup-process.ts'))};
  const layout = ${JSON.stringify(layout)};
  await recordBackupProcess(layout, ${JSON.stringify(id)});
  await writeBackupInfo(backupDirectory(layout, ${JSON.stringify(id)}).info,
    { ...emptyBackupInfo(${JSON.stringify(id)}), status: 'STARTED', server_name: layout.server });
  process.stdout.write('ready\\n');
  setInterval(() => {}, 1000);
`;

function src(file: string): string {
  return fileURLToPath(new URL(`../../src/catalog/${file}`, import.meta.url));
}

/** Runs a child node process that starts a backup, and SIGKILLs it once the backup is STARTED. */
async function backupKilledMidway(layout: ServerLayout, id: string): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', childScript(layout, id)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`child exited ${code} before it was ready`)));
  });
  child.kill('SIGKILL');
  await exited;
  return child.pid!;
}

describe('backups whose process died', () => {
  it('lists a STARTED backup of a SIGKILLed process as FAILED, and records it', async () => {
    const layout = freshLayout();
    await addBackup(layout, '20260101T000000', { status: 'DONE' });
    const pid = await backupKilledMidway(layout, '20260102T000000');
    const listing = await listBackups(layout);
    assert.deepEqual(listing.markedFailed, ['20260102T000000']);
    const failed = listing.backups[1]!;
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, `barkeep process ${pid} ended before the backup completed`);
    assert.equal(failed.error, deadProcessError(pid));
    const onDisk = await readBackupInfo(backupDirectory(layout, '20260102T000000').info);
    assert.equal(onDisk.status, 'FAILED');
    assert.equal(await readBackupProcess(layout, '20260102T000000'), undefined);
    assert.deepEqual(await markDeadBackupsFailed(layout), []);
    assert.equal(await resolved(layout, 'last-failed'), '20260102T000000');
  });

  it('leaves alone a live process, one on another host, and one without a readable record', async () => {
    const layout = freshLayout();
    await addBackup(layout, '20260101T000000', { status: 'STARTED' });
    await recordBackupProcess(layout, '20260101T000000');
    await addBackup(layout, '20260102T000000', { status: 'STARTED' });
    await writeFile(
      backupDirectory(layout, '20260102T000000').process,
      JSON.stringify({ pid: 999999999, host: 'elsewhere.example', startedAt: '' }),
    );
    await addBackup(layout, '20260103T000000', { status: 'STARTED' });
    await addBackup(layout, '20260104T000000', { status: 'STARTED' });
    await writeFile(backupDirectory(layout, '20260104T000000').process, '{"pid": 12');
    const listing = await listBackups(layout);
    assert.deepEqual(listing.markedFailed, []);
    assert.deepEqual(
      listing.backups.map((b) => b.status),
      ['STARTED', 'STARTED', 'STARTED', 'STARTED'],
    );
  });

  it('does not touch a backup that finished before its process ended', async () => {
    const layout = freshLayout();
    const id = '20260101T000000';
    await addBackup(layout, id, { status: 'DONE' });
    await writeFile(
      backupDirectory(layout, id).process,
      JSON.stringify({ pid: 999999999, host: (await import('node:os')).hostname(), startedAt: '' }),
    );
    assert.equal((await readBackup(layout, id)).status, 'DONE');
    assert.match(await readFile(backupDirectory(layout, id).info, 'utf8'), /^status=DONE$/m);
  });
});
