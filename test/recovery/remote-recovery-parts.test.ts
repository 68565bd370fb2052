// The parts of remote recovery that need no real ssh: the inspection script and its answers, the
// tar stream built with bounded memory, and the remote shell runner. `sh -c` stands in for the
// ssh command (it runs the script here, as ssh would run it there).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { packDirectory, repackArchive, TarWriter } from '../../src/recovery/recovery-tar.ts';
import {
  checkRemoteDirectories,
  inspectionScript,
  parseInspection,
} from '../../src/recovery/remote-checks.ts';
import { defaultRemoteBarkeepCommand } from '../../src/recovery/remote-recovery.ts';
import { remoteFailure, runRemoteScript } from '../../src/recovery/remote-shell.ts';

const local = 'sh -c';
const scratch = mkdtempSync(join(tmpdir(), 'barkeep-test-remote-parts-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('remote inspection', () => {
  it('parses the answers and ignores other output', () => {
    const parsed = parseInspection(
      [
        'Welcome to the host',
        'barkeep-dir missing',
        'barkeep-dir entries 0',
        'barkeep-dir entries 12',
        'barkeep-dir notdir',
        'barkeep-dir unreadable',
        'barkeep-df /srv',
        'barkeep-free 2048',
        '',
      ].join('\n'),
    );
    assert.deepEqual(parsed.directories, [
      { kind: 'missing' },
      { kind: 'entries', count: 0 },
      { kind: 'entries', count: 12 },
      { kind: 'notdir' },
      { kind: 'unreadable' },
    ]);
    assert.equal(parsed.measuredAt, '/srv');
    assert.equal(parsed.freeBytes, 2048 * 1024);
  });

  it('answers for each path and measures the nearest existing directory', async () => {
    const empty = join(scratch, 'empty');
    const full = join(scratch, 'full');
    const file = join(scratch, 'a file');
    mkdirSync(empty);
    mkdirSync(full);
    writeFileSync(join(full, 'x'), '');
    writeFileSync(join(full, '.hidden'), '');
    writeFileSync(file, '');
    const missing = join(scratch, "it's", 'new');
    const run = await runRemoteScript(
      local,
      inspectionScript([missing, empty, full, file], missing),
    );
    assert.equal(run.status, 0, run.stderr);
    const parsed = parseInspection(run.stdout);
    assert.deepEqual(parsed.directories, [
      { kind: 'missing' },
      { kind: 'entries', count: 0 },
      { kind: 'entries', count: 2 },
      { kind: 'notdir' },
    ]);
    assert.equal(parsed.measuredAt, scratch);
    assert.ok((parsed.freeBytes ?? 0) > 0);
  });

  it('refuses a non-empty directory, a file, and too little space', async () => {
    const full = join(scratch, 'refuse-full');
    mkdirSync(full);
    writeFileSync(join(full, 'PG_VERSION'), '15\n');
    const refusal = async (paths: string[], needed: number, pattern: RegExp) =>
      assert.rejects(
        checkRemoteDirectories(
          local,
          paths.map((path, index) => ({
            path,
            what: index === 0 ? 'destination' : 'directory of tablespace ts',
          })),
          needed,
        ),
        (error: unknown) =>
          isBarkeepError(error, 'operationFailed') &&
          error.what === 'refused to recover' &&
          pattern.test(error.why),
      );
    await refusal([full], 0, /not empty \(1 entries\)/);
    await refusal([join(scratch, 'new'), full], 0, /directory of tablespace ts .*not empty/);
    await refusal([join(full, 'PG_VERSION')], 0, /not a directory/);
    await refusal([join(scratch, 'new')], Number.MAX_SAFE_INTEGER, /MiB free on the remote/);
    const fine = await checkRemoteDirectories(
      local,
      [{ path: join(scratch, 'new'), what: 'd' }],
      1,
    );
    assert.ok((fine.freeBytes ?? 0) > 1);
  });

  it('reports an ssh failure with its status and stderr', async () => {
    await assert.rejects(
      checkRemoteDirectories(
        'sh -c "echo no route >&2; exit 255" --',
        [{ path: '/x', what: 'd' }],
        0,
      ),
      (error: unknown) =>
        isBarkeepError(error, 'operationFailed') &&
        /status 255/.test(error.why) &&
        /no route/.test(error.why),
    );
    const failure = remoteFailure('w', 's', { status: 2, stdout: '', stderr: 'tar: boom\n' });
    assert.match(failure.why, /exited with status 2: tar: boom/);
  });
});

describe('recovery tar stream', () => {
  it('packs a directory with modes and links, unpacked by tar as it arrives', async () => {
    const source = join(scratch, 'pgdata');
    mkdirSync(join(source, 'base', '1'), { recursive: true, mode: 0o700 });
    mkdirSync(join(source, 'pg_tblspc'), { mode: 0o700 });
    writeFileSync(join(source, 'PG_VERSION'), '15\n', { mode: 0o600 });
    writeFileSync(join(source, 'backup_manifest'), '{}');
    const big = Buffer.alloc(5 * 1024 * 1024 + 123, 7);
    writeFileSync(join(source, 'base', '1', '1259'), big, { mode: 0o640 });
    symlinkSync('/old/place', join(source, 'pg_tblspc', '16385'));
    const target = join(scratch, 'unpacked');
    const writer = new TarWriter();
    const producing = (async () => {
      await writer.directory('.', 0o750);
      await packDirectory(
        writer,
        source,
        (member) => member === 'backup_manifest' || member === 'pg_tblspc/16385',
      );
      await writer.symlink('pg_tblspc/16385', '/new/place');
      await writer.buffer('recovery.signal', 0o600, Buffer.alloc(0));
      writer.finalize();
    })();
    const run = await runRemoteScript(
      local,
      `mkdir -p '${target}' && tar --no-same-owner -xpf - -C '${target}'`,
      { input: writer.stream },
    );
    await producing;
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(writer.written, { files: 3, bytes: 3 + big.length });
    assert.equal(lstatSync(target).mode & 0o777, 0o750);
    assert.equal(lstatSync(join(target, 'base', '1', '1259')).mode & 0o777, 0o640);
    assert.ok(readFileSync(join(target, 'base', '1', '1259')).equals(big));
    assert.equal(readlinkSync(join(target, 'pg_tblspc', '16385')), '/new/place');
    assert.throws(() => lstatSync(join(target, 'backup_manifest')));
    assert.equal(readFileSync(join(target, 'recovery.signal'), 'utf8'), '');
  });

  it('repacks a compressed archive, capturing and skipping members', async () => {
    const tree = join(scratch, 'archived');
    mkdirSync(join(tree, 'global'), { recursive: true });
    writeFileSync(join(tree, 'global', 'pg_control'), 'control');
    writeFileSync(join(tree, 'postgresql.auto.conf'), "work_mem = '8MB'\n");
    writeFileSync(join(tree, 'skip-me'), 'x');
    const tarFile = join(scratch, 'base.tar');
    execFileSync('tar', ['-cf', tarFile, '-C', tree, '.']);
    const archive = join(scratch, 'base.tar.gz');
    writeFileSync(archive, gzipSync(readFileSync(tarFile)));
    const writer = new TarWriter();
    let captured: Map<string, Buffer> | undefined;
    const producing = (async () => {
      captured = await repackArchive(
        writer,
        archive,
        (member) => member === 'skip-me',
        new Set(['postgresql.auto.conf']),
      );
      writer.finalize();
    })();
    const listing = await runRemoteScript(local, 'tar -tvf -', { input: writer.stream });
    await producing;
    assert.equal(listing.status, 0, listing.stderr);
    assert.match(listing.stdout, /global\/pg_control/);
    assert.doesNotMatch(listing.stdout, /skip-me|postgresql\.auto\.conf/);
    assert.equal(captured?.get('postgresql.auto.conf')?.toString(), "work_mem = '8MB'\n");
  });

  it('a corrupt archive fails as corruptArchive and cuts the stream', async () => {
    const archive = join(scratch, 'broken.tar.gz');
    writeFileSync(archive, Buffer.concat([gzipSync(Buffer.alloc(4096, 1)).subarray(0, 30)]));
    const writer = new TarWriter();
    const producing = repackArchive(writer, archive, () => false).then(() => writer.finalize());
    producing.catch((error: unknown) => writer.destroy(error as Error));
    await assert.rejects(producing, (error: unknown) => isBarkeepError(error));
    await assert.rejects(runRemoteScript(local, 'cat > /dev/null', { input: writer.stream }));
  });

  it('stops pumping when the remote side exits early', async () => {
    const writer = new TarWriter();
    const producing = (async () => {
      for (let index = 0; index < 200; index++)
        await writer.buffer(`f${index}`, 0o600, Buffer.alloc(1024 * 1024));
      writer.finalize();
    })();
    producing.catch(() => undefined);
    const run = await runRemoteScript(local, 'echo gone >&2; exit 3', { input: writer.stream });
    assert.equal(run.status, 3);
    assert.match(run.stderr, /gone/);
    // The producer is not left waiting for a reader that is gone.
    await assert.rejects(producing);
  });
});

describe('--remote-barkeep-command default', () => {
  it('logs back in as this user on this host and passes the configuration', () => {
    assert.equal(
      defaultRemoteBarkeepCommand('/etc/barkeep.conf'),
      `ssh ${userInfo().username}@${hostname()} barkeep -c /etc/barkeep.conf`,
    );
    assert.equal(
      defaultRemoteBarkeepCommand('/srv/my conf'),
      `ssh ${userInfo().username}@${hostname()} barkeep -c ''\\''/srv/my conf'\\'''`,
    );
  });
});
