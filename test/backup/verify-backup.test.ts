// verify-backup on real backups of a throwaway cluster with a tablespace, taken in-process by
// runBackup (plain, and compressed with each method on the client or the server), and on
// Barman-style backups made by pg_basebackup (CRC-32C checksums, tar format).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pack } from 'tar-stream';
import { parseBackupManifest } from '../../src/backup/backup-manifest.ts';
import { createFileChecksum, parseChecksumAlgorithm } from '../../src/backup/manifest-checksum.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import {
  type BackupVerification,
  verificationFailure,
  verifyBackup,
} from '../../src/backup/verify-backup.ts';
import {
  type BackupInfo,
  emptyBackupInfo,
  writeBackupInfo,
} from '../../src/catalog/backup-info.ts';
import { decompressBuffer } from '../../src/compression/compress-buffer.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import {
  type ArchivedServer,
  shareWithPostgres,
  startArchivedServer,
} from '../support/archived-server.ts';
import { findPostgresBinaries, lookupOsUser, testVersions } from '../support/cluster.ts';
import { runCliInProcess } from '../support/run-cli-in-process.ts';

const major = testVersions()[0]!;
/** A file name that is not UTF-8: the manifest lists it as an Encoded-Path. */
const strayName = Buffer.concat([Buffer.from('stray-'), Buffer.from([0xff, 0x41])]);

let server: ArchivedServer;
let tablespaceOid: number;

/** The server section as loaded now (after `server.writeConfig`). */
async function serverConfig(): Promise<ServerConfig> {
  return (await loadConfig({ explicitFile: server.configFile })).servers.get('pg')!;
}

/** Takes a backup in-process with these extra server lines. */
async function backup(lines: string[] = []): Promise<BackupInfo> {
  server.writeConfig(lines);
  try {
    return await runBackup(await serverConfig(), {
      logger: silentLogger,
      immediateCheckpoint: true,
    });
  } finally {
    server.writeConfig();
    // put-wal runs as the postgres OS user: what runBackup created as root must stay writable.
    shareWithPostgres(server.dir);
  }
}

async function verify(id: string, jobs?: number): Promise<BackupVerification> {
  return verifyBackup(await serverConfig(), id, jobs === undefined ? {} : { jobs });
}

function backupPath(id: string, ...parts: string[]): string {
  return join(server.layout.base, id, ...parts);
}

/** Runs `change`, then puts every file it names back as it was. */
async function withChanged(
  files: string[],
  change: () => void,
  check: () => Promise<void>,
): Promise<void> {
  const saved = files.map((file) => ({ file, data: readFileSync(file) }));
  try {
    change();
    await check();
  } finally {
    for (const { file, data } of saved) writeFileSync(file, data);
  }
}

/** A copy of a backup under a new ID, to damage freely. */
function copyBackup(id: string, copy: string): string {
  cpSync(backupPath(id), backupPath(copy), { recursive: true, verbatimSymlinks: true });
  return copy;
}

before(async () => {
  server = await startArchivedServer({ major, label: 'verify-backup' });
  const location = join(server.cluster.baseDir, 'spare');
  mkdirSync(location);
  const owner = lookupOsUser(server.cluster.osUser);
  chownSync(location, owner.uid, owner.gid);
  await server.cluster.query(`CREATE TABLESPACE spare LOCATION '${location}'`);
  await server.cluster.query('CREATE TABLE kept (g int) TABLESPACE spare');
  await server.cluster.query('INSERT INTO kept SELECT generate_series(1, 3000)');
  const [row] = await server.cluster.query<{ oid: number }>(
    "SELECT oid FROM pg_tablespace WHERE spcname = 'spare'",
  );
  tablespaceOid = Number(row!.oid);
});
after(async () => {
  await server?.stop();
});

describe('verify-backup, plain backups', () => {
  let plain: BackupInfo;
  before(async () => {
    plain = await backup();
  });

  it('passes for a fresh backup with a tablespace', async () => {
    const verification = await verify(plain.backup_id, 4);
    assert.deepEqual(verification.problems, []);
    assert.equal(verification.format, 'plain');
    const manifest = parseBackupManifest(
      readFileSync(backupPath(plain.backup_id, 'data', 'backup_manifest')),
    );
    assert.equal(verification.filesChecked, manifest.files.length);
    assert.ok(manifest.files.some((file) => file.key.startsWith(`pg_tblspc/${tablespaceOid}/`)));
    assert.equal(verificationFailure(verification), undefined);
  });

  it('reports a flipped byte, a changed size, a missing and an unlisted file, in manifest order', async () => {
    const id = plain.backup_id;
    const manifest = parseBackupManifest(readFileSync(backupPath(id, 'data', 'backup_manifest')));
    const tablespaceFile = manifest.files.find(
      (file) => file.key.startsWith(`pg_tblspc/${tablespaceOid}/`) && file.size > 8192,
    )!;
    const flipped = backupPath(
      id,
      String(tablespaceOid),
      tablespaceFile.key.split('/').slice(2).join('/'),
    );
    const grown = backupPath(id, 'data', 'PG_VERSION');
    const control = backupPath(id, 'data', 'global', 'pg_control');
    const unlisted = backupPath(id, 'data', 'base', 'unlisted');
    const aside = join(server.dir, 'pg_control.aside');
    await withChanged(
      [flipped, grown],
      () => {
        const data = readFileSync(flipped);
        data[5000] = data[5000]! ^ 0x01;
        writeFileSync(flipped, data);
        writeFileSync(grown, `${readFileSync(grown, 'utf8')}\n`);
        renameSync(control, aside);
        writeFileSync(unlisted, 'x');
      },
      async () => {
        try {
          const verification = await verify(id);
          const indexOf = (key: string) => manifest.files.find((file) => file.key === key)!.index;
          const expected = [
            {
              location: flipped,
              index: tablespaceFile.index,
              why: /^its CRC32C checksum is [0-9a-f]{8}, the manifest says /,
            },
            {
              location: grown,
              index: indexOf('PG_VERSION'),
              why: /^its size is \d+ bytes, the manifest says \d+$/,
            },
            {
              location: control,
              index: indexOf('global/pg_control'),
              why: /^it is missing: the manifest lists it$/,
            },
          ].sort((a, b) => a.index - b.index);
          assert.deepEqual(
            verification.problems.map((problem) => problem.location),
            [...expected.map((problem) => problem.location), unlisted],
          );
          for (const [index, problem] of expected.entries())
            assert.match(verification.problems[index]!.why, problem.why);
          assert.equal(verification.problems[3]!.why, 'the manifest does not list this file');
          const failure = verificationFailure(verification)!;
          assert.equal(failure.kind, 'checkFailed');
          assert.equal(failure.exitCode, 3);
          assert.equal(failure.subject, expected[0]!.location);
          assert.match(
            failure.why,
            new RegExp(`backup ${id} of server pg: 4 problems found, this is the first`),
          );
        } finally {
          renameSync(aside, control);
          rmSync(unlisted);
        }
      },
    );
    assert.deepEqual((await verify(id)).problems, []);
  });

  it('reports a manifest whose own checksum does not match, and one that is not a manifest', async () => {
    const path = backupPath(plain.backup_id, 'data', 'backup_manifest');
    await withChanged(
      [path],
      () => {
        const text = readFileSync(path, 'utf8');
        writeFileSync(
          path,
          text.replace('"Path": "PG_VERSION", "Size": 3', '"Path": "PG_VERSION", "Size": 4'),
        );
      },
      async () => {
        const { problems } = await verify(plain.backup_id);
        assert.equal(problems[0]!.location, path);
        assert.match(
          problems[0]!.why,
          /Manifest-Checksum is [0-9a-f]{64} but the manifest's SHA-256 is [0-9a-f]{64}: the manifest was changed/,
        );
        assert.match(problems[1]!.why, /its size is 3 bytes, the manifest says 4/);
        assert.equal(problems.length, 2);
      },
    );
    await withChanged(
      [path],
      () => writeFileSync(path, '{ "PostgreSQL-Backup-Manifest-Version": 1,\n"Files": [\n'),
      async () => {
        const { problems } = await verify(plain.backup_id);
        assert.equal(problems.length, 1);
        assert.match(
          problems[0]!.why,
          /^it cannot be read as a backup manifest: it is not valid JSON/,
        );
      },
    );
  });

  it('checks the configuration files kept from outside PGDATA', async () => {
    const list = backupPath(plain.backup_id, 'external-config.json');
    const storedPath = 'external/etc/postgresql/main/postgresql.conf';
    const stored = backupPath(plain.backup_id, storedPath);
    const content = Buffer.from("shared_buffers = '64MB'\n");
    mkdirSync(join(stored, '..'), { recursive: true });
    writeFileSync(stored, content);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const before = readFileSync(list);
    writeFileSync(
      list,
      JSON.stringify([
        {
          kind: 'config_file',
          originalPath: '/etc/postgresql/main/postgresql.conf',
          storedPath,
          size: content.length,
          mode: 0o644,
          sha256,
        },
      ]),
    );
    try {
      const sound = await verify(plain.backup_id);
      assert.deepEqual(sound.problems, []);
      const manifest = parseBackupManifest(
        readFileSync(backupPath(plain.backup_id, 'data', 'backup_manifest')),
      );
      assert.equal(sound.filesChecked, manifest.files.length + 1);

      writeFileSync(stored, "shared_buffers = '65MB'\n");
      writeFileSync(join(stored, '..', 'pg_hba.conf'), 'local all all trust\n');
      const damaged = await verify(plain.backup_id);
      assert.deepEqual(
        damaged.problems.map((problem) => [
          problem.location,
          problem.why.replace(/[0-9a-f]{64}/g, 'H'),
        ]),
        [
          [stored, 'its SHA256 checksum is H, external-config.json says H'],
          [join(stored, '..', 'pg_hba.conf'), 'external-config.json does not list this file'],
        ],
      );
      rmSync(stored);
      assert.equal(
        (await verify(plain.backup_id)).problems[0]!.why,
        'it is missing: external-config.json lists it',
      );

      writeFileSync(list, '{"not": "a list"}');
      assert.match(
        (await verify(plain.backup_id)).problems[0]!.why,
        /^it cannot be read: it is not a JSON list/,
      );
      writeFileSync(list, JSON.stringify([{ storedPath: '../../escape', size: 1, sha256: 'ab' }]));
      assert.match(
        (await verify(plain.backup_id)).problems[0]!.why,
        /entry 1 has no valid storedPath/,
      );
    } finally {
      writeFileSync(list, before);
      rmSync(backupPath(plain.backup_id, 'external'), { recursive: true, force: true });
    }
    assert.deepEqual((await verify(plain.backup_id)).problems, []);
  });

  it('runs from the CLI: OK line, or exit 3 with the problems listed and one error line', async () => {
    const ok = await runCliInProcess([
      '-c',
      server.configFile,
      'verify-backup',
      'pg',
      plain.backup_id,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      new RegExp(`^Backup ${plain.backup_id} of server pg: OK \\(\\d+ files verified\\)\\n$`),
    );
    const file = backupPath(plain.backup_id, 'data', 'PG_VERSION');
    await withChanged(
      [file],
      () => writeFileSync(file, 'xx\n'),
      async () => {
        const run = await runCliInProcess([
          '-c',
          server.configFile,
          'verify-backup',
          '-j',
          '3',
          'pg',
          'latest',
        ]);
        assert.equal(run.code, 3);
        assert.match(
          run.stdout,
          /: FAILED \(1 problem in \d+ files\)\n\t.*PG_VERSION: its CRC32C checksum is /,
        );
        assert.equal(run.stderr.split('\n').length, 2, run.stderr);
        assert.match(
          run.stderr,
          new RegExp(
            `^ERROR: backup verification failed '${file}': its CRC32C checksum is [0-9a-f]+, the manifest says [0-9a-f]+ \\(backup ${plain.backup_id} of server pg: 1 problem found\\)\\. Do not rely`,
          ),
        );
      },
    );
    const unknown = await runCliInProcess([
      '-c',
      server.configFile,
      'verify-backup',
      'pg',
      '20000101T000000',
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^ERROR: unknown backup '20000101T000000'/);
  });

  it('refuses a FAILED backup and one without a manifest', async () => {
    const failedId = '20000101T000001';
    mkdirSync(backupPath(failedId), { recursive: true });
    await writeBackupInfo(backupPath(failedId, 'backup.info'), {
      ...emptyBackupInfo(failedId),
      status: 'FAILED',
      error: 'connection lost',
    });
    const noManifest = copyBackup(plain.backup_id, '20000101T000002');
    rmSync(backupPath(noManifest, 'data', 'backup_manifest'));
    try {
      await assert.rejects(verify(failedId), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'operationFailed'));
        assert.match(
          error.why,
          /^it is FAILED \(connection lost\); only a complete backup can be verified$/,
        );
        return true;
      });
      await assert.rejects(verify(noManifest), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'operationFailed'));
        assert.match(error.why, /^it has no manifest/);
        return true;
      });
    } finally {
      rmSync(backupPath(failedId), { recursive: true });
      rmSync(backupPath(noManifest), { recursive: true });
    }
  });
});

describe('verify-backup, compressed backups', () => {
  const backups = new Map<string, BackupInfo>();
  before(async () => {
    backups.set('zstd-client', await backup(['backup_compression = zstd']));
    backups.set(
      'gzip-server',
      await backup(['backup_compression = gzip', 'backup_compression_location = server']),
    );
    backups.set(
      'lz4-client',
      await backup(['backup_compression = lz4', 'backup_compression_level = 1']),
    );
    backups.set(
      'zstd-server',
      await backup([
        'backup_compression = zstd',
        'backup_compression_location = server',
        'backup_compression_workers = 2',
      ]),
    );
  });

  it('passes for each method, on the client and on the server', async () => {
    const extensions: Record<string, string> = {
      'zstd-client': 'zst',
      'gzip-server': 'gz',
      'lz4-client': 'lz4',
      'zstd-server': 'zst',
    };
    for (const [label, info] of backups) {
      const extension = extensions[label]!;
      assert.deepEqual(readdirSync(backupPath(info.backup_id, 'data')).sort(), [
        `${tablespaceOid}.tar.${extension}`,
        'backup_manifest',
        `base.tar.${extension}`,
      ]);
      const verification = await verify(info.backup_id, 2);
      assert.deepEqual(verification.problems, [], label);
      assert.equal(verification.format, 'tar');
      assert.ok(verification.filesChecked > 100);
    }
  });

  it('reports a cut-short archive and a missing tablespace archive', async () => {
    const id = copyBackup(backups.get('zstd-client')!.backup_id, '20000101T000003');
    try {
      const base = backupPath(id, 'data', 'base.tar.zst');
      writeFileSync(base, readFileSync(base).subarray(0, 50_000));
      rmSync(backupPath(id, 'data', `${tablespaceOid}.tar.zst`));
      writeFileSync(backupPath(id, 'data', 'notes.txt'), 'left here');
      const { problems } = await verify(id);
      assert.deepEqual(
        problems.map((problem) => problem.location).sort(),
        [
          backupPath(id, 'data', `${tablespaceOid}.tar`),
          base,
          backupPath(id, 'data', 'notes.txt'),
        ].sort(),
      );
      const byLocation = new Map(problems.map((problem) => [problem.location, problem.why]));
      assert.match(
        byLocation.get(base)!,
        /^the archive cannot be read to its end \(.*zstd.*\); \d+ file\(s\) of the manifest in it were not reached$/,
      );
      assert.match(
        byLocation.get(backupPath(id, 'data', `${tablespaceOid}.tar`))!,
        /^the archive is missing: the manifest lists \d+ file\(s\) in it$/,
      );
      assert.equal(
        byLocation.get(backupPath(id, 'data', 'notes.txt')),
        'the manifest does not list this file',
      );
      assert.equal(
        problems[2]!.location,
        backupPath(id, 'data', 'notes.txt'),
        'unlisted files come last',
      );
    } finally {
      rmSync(backupPath(id), { recursive: true });
    }
  });

  it('reports a changed member, a missing one and an unlisted one inside an uncompressed tar', async () => {
    const id = copyBackup(backups.get('gzip-server')!.backup_id, '20000101T000004');
    try {
      const compressed = backupPath(id, 'data', 'base.tar.gz');
      const tar = await decompressBuffer(readFileSync(compressed));
      rmSync(compressed);
      const members = tarMembers(tar);
      const version = members.find((member) => member.name === 'PG_VERSION')!;
      tar[version.dataOffset] = tar[version.dataOffset]! ^ 0x02; // "15" becomes "35"
      const dropped = members.find((member) => member.name === 'global/pg_control')!;
      tar.fill(0, dropped.headerOffset, dropped.headerOffset + 100);
      tar.write('global/dropped', dropped.headerOffset, 'latin1');
      fixHeaderChecksum(tar, dropped.headerOffset);
      const extra = await packed('unlisted-file', 'extra\n');
      writeFileSync(
        backupPath(id, 'data', 'base.tar'),
        Buffer.concat([tar.subarray(0, members.end), extra]),
      );
      const { problems } = await verify(id);
      const where = (name: string) => `${backupPath(id, 'data', 'base.tar')}:${name}`;
      assert.deepEqual(
        problems
          .map((problem) => [problem.location, problem.why.replace(/[0-9a-f]{8}/g, 'H')])
          .sort(),
        [
          [where('PG_VERSION'), 'its CRC32C checksum is H, the manifest says H'],
          [where('global/pg_control'), 'it is missing: the manifest lists it'],
          [where('global/dropped'), 'the manifest does not list this file'],
          [where('unlisted-file'), 'the manifest does not list this file'],
        ].sort(),
      );
    } finally {
      rmSync(backupPath(id), { recursive: true });
    }
  });
});

describe('verify-backup, backups made by pg_basebackup (as Barman takes them)', () => {
  // The embedded PostgreSQL builds have no pg_basebackup; the system's packages do.
  const pgBasebackup = () => join(findPostgresBinaries(major).binDir, 'pg_basebackup');
  const skip = () => (existsSync(pgBasebackup()) ? false : 'no pg_basebackup for this version');

  // pg_basebackup keeps a name that is not UTF-8 byte for byte; the manifest has its Encoded-Path.
  const stray = () => Buffer.concat([Buffer.from(`${server.cluster.dataDir}/`), strayName]);
  before(() => {
    const owner = lookupOsUser(server.cluster.osUser);
    writeFileSync(stray(), 'not UTF-8\n');
    chownSync(stray(), owner.uid, owner.gid);
  });
  after(() => rmSync(stray(), { force: true }));

  async function barmanBackup(id: string, args: string[]): Promise<void> {
    const directory = backupPath(id, 'data');
    mkdirSync(directory, { recursive: true });
    execFileSync(
      pgBasebackup(),
      ['-d', server.cluster.conninfo(), '-D', directory, '-X', 'none', '-c', 'fast', ...args],
      { stdio: 'pipe' },
    );
    await writeBackupInfo(backupPath(id, 'backup.info'), {
      ...emptyBackupInfo(id),
      status: 'DONE',
      mode: 'postgres',
    });
  }

  it('verifies a plain backup with CRC-32C checksums and its tablespace mapped beside data/', {
    skip: skip(),
  }, async () => {
    const id = '20000101T000010';
    const location = join(server.cluster.baseDir, 'spare');
    try {
      await barmanBackup(id, [
        '-Fp',
        '--manifest-checksums=CRC32C',
        `--tablespace-mapping=${location}=${backupPath(id, String(tablespaceOid))}`,
      ]);
      const manifest = readFileSync(backupPath(id, 'data', 'backup_manifest'), 'utf8');
      assert.match(manifest, /"Checksum-Algorithm": "CRC32C"/);
      assert.ok(manifest.includes(`"Encoded-Path": "${strayName.toString('hex')}"`));
      assert.ok(existsSync(Buffer.concat([Buffer.from(`${backupPath(id, 'data')}/`), strayName])));
      assert.deepEqual((await verify(id)).problems, []);
      const file = backupPath(id, 'data', 'PG_VERSION');
      writeFileSync(file, `${readFileSync(file, 'utf8').slice(0, -2)}9\n`);
      const { problems } = await verify(id);
      assert.equal(problems.length, 1);
      assert.equal(problems[0]!.location, file);
      assert.match(
        problems[0]!.why,
        /^its CRC32C checksum is [0-9a-f]{8}, the manifest says [0-9a-f]{8}$/,
      );
    } finally {
      rmSync(backupPath(id), { recursive: true, force: true });
    }
  });

  it('verifies a gzip tar-format backup with SHA-512 checksums', { skip: skip() }, async () => {
    const id = '20000101T000011';
    try {
      await barmanBackup(id, ['-Ft', '-z', '--manifest-checksums=SHA512']);
      assert.ok(existsSync(backupPath(id, 'data', 'base.tar.gz')));
      const verification = await verify(id);
      assert.deepEqual(verification.problems, []);
      assert.equal(verification.format, 'tar');
    } finally {
      rmSync(backupPath(id), { recursive: true, force: true });
    }
  });
});

describe('manifest checksums', () => {
  it('computes CRC-32C as PostgreSQL writes it, in any chunking', () => {
    const crc = createFileChecksum('CRC32C');
    crc.update(Buffer.from('1234'));
    crc.update(Buffer.from('56789'));
    // CRC-32C of "123456789" is 0xE3069283, written in memory (little-endian) order.
    assert.equal(crc.digestHex(), '839206e3');
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
    const whole = createFileChecksum('CRC32C');
    whole.update(data);
    const pieces = createFileChecksum('CRC32C');
    for (let offset = 0; offset < data.length; offset += 13)
      pieces.update(data.subarray(offset, offset + 13));
    assert.equal(pieces.digestHex(), whole.digestHex());
    assert.equal(createFileChecksum('NONE').digestHex(), '');
    assert.equal(parseChecksumAlgorithm('sha224'), 'SHA224');
    assert.equal(parseChecksumAlgorithm('md5'), undefined);
  });

  it('reads manifest entries it cannot use as problems, and rejects what is not a manifest', () => {
    const body = [
      '{ "PostgreSQL-Backup-Manifest-Version": 2,',
      '"System-Identifier": 7441234567890123456,',
      '"Files": [',
      '{ "Encoded-Path": "41ff", "Size": 1, "Checksum-Algorithm": "NONE" },',
      '{ "Path": "a", "Size": -1 },',
      '{ "Path": "b", "Size": 1, "Checksum-Algorithm": "MD5", "Checksum": "00" },',
      '{ "Path": "c", "Size": 1, "Checksum-Algorithm": "SHA256" },',
      '{ "Size": 1 }',
      '],',
      '"WAL-Ranges": [',
      '{ "Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "0/2000100" }',
      '],',
      '',
    ].join('\n');
    const checksum = createHash('sha256').update(body).digest('hex');
    const manifest = parseBackupManifest(
      Buffer.from(`${body}"Manifest-Checksum": "${checksum}"}\n`),
    );
    assert.equal(manifest.version, 2);
    assert.equal(manifest.systemIdentifier, '7441234567890123456');
    assert.equal(manifest.startLsn, '0/2000028');
    assert.deepEqual(
      manifest.files.map((file) => [file.key, file.display, file.algorithm]),
      [['A\u00ff', 'A\ufffd', 'NONE']],
    );
    assert.deepEqual(manifest.problems, [
      'entry 2 of Files (a) has no valid Size',
      'entry 3 of Files (b) has an unknown Checksum-Algorithm "MD5"',
      'entry 4 of Files (c) has no valid Checksum',
      'entry 5 of Files has neither a Path nor a valid Encoded-Path',
    ]);
    assert.throws(() => parseBackupManifest(Buffer.from('[]\n\n')), /not a JSON object/);
    assert.throws(
      () => parseBackupManifest(Buffer.from('{"PostgreSQL-Backup-Manifest-Version": 9}\n\n')),
      /not 1 or 2/,
    );
    assert.throws(
      () => parseBackupManifest(Buffer.from('{"PostgreSQL-Backup-Manifest-Version": 1}\n\n')),
      /no Files list/,
    );
    const single = parseBackupManifest(
      Buffer.from('{"PostgreSQL-Backup-Manifest-Version": 1, "Files": []}'),
    );
    assert.match(single.problems[0]!, /fewer than two lines/);
  });
});

// ------------------------------------------------------------------ tar helpers for the tests

interface TarMember {
  readonly name: string;
  readonly headerOffset: number;
  readonly dataOffset: number;
  readonly size: number;
}

/** The members of an uncompressed tar, and where its end-of-archive blocks start. */
function tarMembers(tar: Buffer): TarMember[] & { end: number } {
  const members: TarMember[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length && tar[offset] !== 0) {
    const name = tar
      .toString('latin1', offset, offset + 100)
      .replace(/\0.*$/s, '')
      .replace(/^\.\//, '');
    const size = Number.parseInt(
      tar
        .toString('latin1', offset + 124, offset + 136)
        .replace(/\0.*$/s, '')
        .trim() || '0',
      8,
    );
    members.push({ name, headerOffset: offset, dataOffset: offset + 512, size });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return Object.assign(members, { end: offset });
}

/** Rewrites a ustar header's checksum after the header was edited. */
function fixHeaderChecksum(tar: Buffer, offset: number): void {
  const header = tar.subarray(offset, offset + 512);
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

/** A tar holding one file, with its end-of-archive blocks. */
async function packed(name: string, content: string): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
