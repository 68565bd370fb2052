import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type BackupInfo,
  emptyBackupInfo,
  formatBackupInfo,
  parseBackupInfo,
  readBackupInfo,
  writeBackupInfo,
} from '../../src/catalog/backup-info.ts';
import {
  backupTimestamp,
  parseBackupTimestamp,
  toPythonTimestamp,
} from '../../src/catalog/backup-timestamp.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';

const fixtures = new URL('./fixtures/', import.meta.url);
// Written by Barman 3.4's BackupInfo.save() (Debian 12's python3-barman).
const barman34 = readFileSync(new URL('barman-3.4-postgres.backup.info', fixtures), 'utf8');
// Written by hand from the field list of a Barman with the incremental-backup keys and without
// `encryption` (3.13's), for a named postgres-method backup of PostgreSQL 17.
const barman313 = readFileSync(new URL('barman-3.13-postgres.backup.info', fixtures), 'utf8');
const FILE = '/var/lib/barman/pg/base/20261124T100000/backup.info';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-backup-info-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function invalid(text: string): Error {
  try {
    parseBackupInfo(text, FILE);
  } catch (error) {
    assert.ok(isBarkeepError(error, 'backupInfoInvalid'), String(error));
    assert.equal(error.exitCode, 1);
    assert.equal(error.subject, FILE);
    return error;
  }
  assert.fail('parsed');
}

describe('backup.info written by Barman', () => {
  it('reads a Barman 3.4 file with typed values and writes it back byte for byte', () => {
    const info = parseBackupInfo(barman34, FILE);
    assert.equal(info.backup_id, '20261124T100000');
    assert.equal(info.status, 'DONE');
    assert.equal(info.version, 160004);
    assert.equal(info.begin_offset, 40);
    assert.equal(info.systemid, '7441022558816421817');
    assert.deepEqual(info.tablespaces, [{ name: 'tbs1', oid: 16385, location: '/srv/tbs1' }]);
    assert.deepEqual(info.included_files, ['/etc/postgresql/16/main/conf.d/tuning.conf']);
    assert.deepEqual(info.copy_stats, { copy_time: 3.114682, total_time: 3.114682 });
    assert.match(
      info.backup_label ?? '',
      /^START WAL LOCATION: 0\/2000028 .*\nSTART TIMELINE: 1\n$/s,
    );
    assert.equal(info.begin_time?.date.toISOString(), '2026-11-24T09:00:00.412Z');
    assert.equal(info.begin_time?.microsecond, 412117);
    assert.equal(info.begin_time?.utcOffsetSeconds, 3600);
    assert.equal(info.compression, null);
    assert.equal(info.backup_name, undefined);
    assert.equal(info.summarize_wal, undefined);
    assert.deepEqual(info.extra, {});
    assert.equal(formatBackupInfo(info), barman34);
  });

  it('reads a Barman 3.13 file (named, incremental-era keys) and writes it back byte for byte', () => {
    const info = parseBackupInfo(barman313, FILE);
    assert.equal(info.backup_name, 'nightly');
    assert.equal(info.data_checksums, 'on');
    assert.equal(info.summarize_wal, 'on');
    assert.equal(info.cluster_size, 48234496);
    assert.equal(info.parent_backup_id, null);
    assert.equal(info.children_backup_ids, null);
    assert.equal(info.tablespaces?.[1]?.location, '/srv/pg archive');
    assert.equal(formatBackupInfo(info), barman313);
  });

  it("keeps keys it does not model (a newer Barman's) and writes them back in sorted place", () => {
    const text = barman313
      .replace('end_offset=', 'encryption=None\nend_offset=')
      .replace('status=DONE\n', "snapshots_info={'provider': 'gcp'}\nstatus=DONE\n");
    const info = parseBackupInfo(text, FILE);
    assert.deepEqual(info.extra, { encryption: 'None', snapshots_info: "{'provider': 'gcp'}" });
    assert.equal(formatBackupInfo(info), text);
  });

  it('skips blank lines and comments, strips spaces around = and CRs, takes defaults', () => {
    const info = parseBackupInfo(
      '# written by hand\n\n  status = FAILED \r\n error=  it broke: a=b\nversion=1_6\n',
      FILE,
    );
    assert.equal(info.status, 'FAILED');
    assert.equal(info.error, 'it broke: a=b');
    assert.equal(info.version, 16);
    assert.equal(info.xlog_segment_size, 16777216);
    assert.equal(info.begin_time, null);
  });

  it('reads a time without offset as local time, as Barman does', () => {
    const info = parseBackupInfo('begin_time=2026-11-24 10:00:00\n', FILE);
    assert.equal(info.begin_time?.date.getTime(), new Date(2026, 10, 24, 10).getTime());
    assert.equal(info.begin_time?.utcOffsetSeconds, null);
  });

  it('rejects malformed lines and values, naming the file, line and key', () => {
    assert.match(invalid('status=DONE\nno equals sign\n').message, /line 2 is not name=value/);
    assert.match(invalid('size=12kB\n').message, /size \(line 1\).*not an int/);
    assert.match(invalid("tablespaces=[('tbs1', 16385\n").message, /tablespaces/);
    assert.match(invalid("tablespaces=[('tbs1', '16385', '/x')]\n").message, /name, oid, location/);
    assert.match(invalid("included_files=['/a', 3]\n").message, /included_files/);
    assert.match(invalid('copy_stats=[1]\n').message, /copy_stats.*dict/);
    assert.match(invalid('backup_label=START WAL\n').message, /backup_label/);
    assert.match(invalid('begin_time=yesterday\n').message, /begin_time/);
    assert.match(invalid('status=RUNNING\n').message, /status/);
  });
});

describe('backup.info written by barkeep', () => {
  it("writes an empty backup exactly as Barman 3.4's save() does", () => {
    assert.equal(
      formatBackupInfo(emptyBackupInfo('x')),
      'backup_label=None\nbegin_offset=None\nbegin_time=None\nbegin_wal=None\nbegin_xlog=None\n' +
        'compression=None\nconfig_file=None\ncopy_stats=None\ndeduplicated_size=None\n' +
        'end_offset=None\nend_time=None\nend_wal=None\nend_xlog=None\nerror=None\nhba_file=None\n' +
        'ident_file=None\nincluded_files=None\nmode=None\npgdata=None\nserver_name=None\n' +
        'size=None\nstatus=EMPTY\nsystemid=None\ntablespaces=None\ntimeline=None\nversion=None\n' +
        'xlog_segment_size=16777216\n',
    );
  });

  it('writes the newer keys only when present, backup_name only when set', () => {
    const info: BackupInfo = {
      ...emptyBackupInfo('x'),
      backup_name: null,
      data_checksums: 'off',
      summarize_wal: null,
      parent_backup_id: undefined,
    };
    const text = formatBackupInfo(info);
    assert.match(text, /^data_checksums=off$/m);
    assert.match(text, /^summarize_wal=None$/m);
    assert.doesNotMatch(text, /parent_backup_id|backup_name|children_backup_ids|cluster_size/);
    assert.match(formatBackupInfo({ ...info, backup_name: 'weekly' }), /^backup_name=weekly$/m);
  });

  it("writes empty lists and strings as None (Barman's null_repr) and line breaks as spaces", () => {
    const text = formatBackupInfo({
      ...emptyBackupInfo('x'),
      tablespaces: [],
      included_files: [],
      copy_stats: {},
      backup_label: '',
      children_backup_ids: [],
      error: 'failure copying files\n(pg_basebackup exited 1)',
    });
    assert.match(text, /^tablespaces=None\nt/m);
    assert.match(text, /^included_files=None$/m);
    assert.match(text, /^copy_stats=None$/m);
    assert.match(text, /^backup_label=None$/m);
    assert.match(text, /^children_backup_ids=None$/m);
    assert.match(text, /^error=failure copying files \(pg_basebackup exited 1\)$/m);
  });

  it('round-trips every typed value through text', () => {
    const info: BackupInfo = {
      ...emptyBackupInfo('20261124T100000'),
      status: 'STARTED',
      tablespaces: [{ name: "o'brien", oid: 16390, location: '/srv/tbs "2"' }],
      included_files: ['/etc/x.conf'],
      backup_label: 'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n\tcafé\n',
      copy_stats: { copy_time: 1.5, total_time: 2, workers: 2n },
      begin_time: backupTimestamp(new Date('2026-11-24T10:00:00.123Z'), { utcOffsetSeconds: 0 }),
      children_backup_ids: ['20261125T100000', '20261126T100000'],
      cluster_size: 123,
      extra: { encryption: 'None' },
    };
    const text = formatBackupInfo(info);
    assert.match(text, /^copy_stats=\{'copy_time': 1\.5, 'total_time': 2\.0, 'workers': 2\}$/m);
    assert.match(text, /^begin_time=2026-11-24 10:00:00\.123000\+00:00$/m);
    assert.match(text, /^children_backup_ids=20261125T100000,20261126T100000$/m);
    assert.deepEqual(parseBackupInfo(text, FILE), info);
  });

  it('refuses a non-integer for an int key as an internal error', () => {
    assert.throws(
      () => formatBackupInfo({ ...emptyBackupInfo('x'), size: 1.5 }),
      (error) => isBarkeepError(error, 'internal') && /size/.test(error.subject),
    );
  });

  it('writes durably (mode 0600, directory created) and reads back', async () => {
    const path = join(scratch, 'base', '20261124T100000', 'backup.info');
    const info = parseBackupInfo(barman313, path);
    await writeBackupInfo(path, info);
    assert.equal(await readFile(path, 'utf8'), barman313);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await readBackupInfo(path), info);
  });

  it('reports a missing file as io and a non-UTF-8 one as invalid', async () => {
    await assert.rejects(readBackupInfo(join(scratch, 'missing', 'backup.info')), (error) =>
      isBarkeepError(error, 'io'),
    );
    const path = join(scratch, 'latin1.info');
    await writeFile(path, Buffer.from([0x65, 0x72, 0x72, 0x6f, 0x72, 0x3d, 0xe9, 0x0a]));
    await assert.rejects(readBackupInfo(path), (error) =>
      isBarkeepError(error, 'backupInfoInvalid'),
    );
  });
});

describe('backup.info times', () => {
  it("writes Python's str(datetime): offset always, microseconds only when not 0", () => {
    const instant = new Date('2026-11-24T09:00:00Z');
    assert.equal(
      backupTimestamp(instant, { utcOffsetSeconds: 3600 }).text,
      '2026-11-24 10:00:00+01:00',
    );
    assert.equal(
      backupTimestamp(instant, { utcOffsetSeconds: -(5 * 3600 + 30 * 60), microsecond: 5 }).text,
      '2026-11-24 03:30:00.000005-05:30',
    );
    assert.equal(
      backupTimestamp(instant, { utcOffsetSeconds: 3725 }).text,
      '2026-11-24 10:02:05+01:02:05',
    );
    const local = backupTimestamp(instant);
    assert.equal(local.utcOffsetSeconds, -instant.getTimezoneOffset() * 60);
    assert.equal(parseBackupTimestamp(local.text)?.date.getTime(), instant.getTime());
  });

  it("turns PostgreSQL's timestamptz text into Python's form", () => {
    const parsed = parseBackupTimestamp('2026-11-24 10:00:00.5+00');
    assert.ok(parsed);
    assert.equal(toPythonTimestamp(parsed).text, '2026-11-24 10:00:00.500000+00:00');
    assert.equal(
      toPythonTimestamp(parseBackupTimestamp('2026-11-24T10:00:00.1234567-0230')!).text,
      '2026-11-24 10:00:00.123456-02:30',
    );
    assert.equal(parseBackupTimestamp('2026-11-24 10:00:00Z')?.utcOffsetSeconds, 0);
  });

  it('refuses what is not a date and time', () => {
    for (const text of ['2026-02-30 10:00:00+00:00', '2026-13-01 10:00:00', 'Mon Nov 24', '']) {
      assert.equal(parseBackupTimestamp(text), undefined, text);
    }
  });
});
