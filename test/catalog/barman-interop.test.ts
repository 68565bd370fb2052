// Barman's own code reads what barkeep writes, and barkeep writes back what Barman wrote, using
// the Barman modules installed on the machine (Debian's python3-barman, which barman-cli pulls
// in). Skipped where no Python can import barman.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type BackupInfo,
  emptyBackupInfo,
  formatBackupInfo,
  readBackupInfo,
  writeBackupInfo,
} from '../../src/catalog/backup-info.ts';
import { backupTimestamp } from '../../src/catalog/backup-timestamp.ts';

const python = ['/usr/bin/python3', 'python3'].find(
  (candidate) => spawnSync(candidate, ['-c', 'import barman.infofile']).status === 0,
);

// Loads the file with Barman's BackupInfo (adding, for an older Barman, the newer keys as plain
// fields so its load() accepts them), saves it again, and prints what it saved and the values.
const BARMAN_ROUND_TRIP = `
import io, json, sys
from barman.infofile import BackupInfo, Field
path, extra_keys = sys.argv[1], sys.argv[2].split(',') if sys.argv[2] else []
cls = BackupInfo
missing = [k for k in extra_keys if not isinstance(getattr(BackupInfo, k, None), Field)]
if missing:
    cls = type('Newer', (BackupInfo,), {k: Field(k) for k in missing})
info = cls(backup_id='x')
info.load(filename=path)
out = io.BytesIO()
info.save(file_object=out)
values = {
    'tablespaces': [list(t) for t in info.tablespaces or []],
    'included_files': info.included_files,
    'backup_label': info.backup_label,
    'copy_stats': info.copy_stats,
    'begin_time': info.begin_time.isoformat() if info.begin_time else None,
    'size': info.size,
    'status': info.status,
    'error': info.error,
}
print(json.dumps({'saved': out.getvalue().decode('utf-8'), 'values': values}))
`;

function barmanRoundTrip(path: string, newerKeys: readonly string[] = []) {
  const result = spawnSync(python!, ['-c', BARMAN_ROUND_TRIP, path, newerKeys.join(',')], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { saved: string; values: Record<string, unknown> };
}

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-barman-interop-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const tricky: BackupInfo = {
  ...emptyBackupInfo('20261124T100000'),
  status: 'FAILED',
  error: 'failure copying files (pg_basebackup: error: could not connect)',
  version: 160004,
  size: 31604736,
  tablespaces: [
    { name: 'tbs1', oid: 16385, location: '/srv/tbs1' },
    { name: "o'brien", oid: 16390, location: '/srv/tbs "2" é' },
  ],
  included_files: ['/etc/postgresql/16/main/conf.d/x.conf'],
  backup_label:
    'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nCHECKPOINT LOCATION: 0/2000060\n' +
    'LABEL: it\'s "quoted"\\ \t\x1b\u00a0\u200b\u{1F600}\n',
  copy_stats: { copy_time: 1.5, total_time: 2, tiny: 1e-5, big: 1e16, workers: 2n },
  begin_time: backupTimestamp(new Date('2026-11-24T09:00:00.412Z'), {
    utcOffsetSeconds: 3600,
    microsecond: 412117,
  }),
};

describe('interoperability with Barman', {
  skip: python ? false : 'python3-barman is not installed',
}, () => {
  it('Barman reads what barkeep writes and saves exactly the same bytes', async () => {
    const path = join(scratch, 'base', tricky.backup_id, 'backup.info');
    await writeBackupInfo(path, tricky);
    const { saved, values } = barmanRoundTrip(path);
    assert.equal(saved, formatBackupInfo(tricky));
    assert.deepEqual(values, {
      tablespaces: [
        ['tbs1', 16385, '/srv/tbs1'],
        ["o'brien", 16390, '/srv/tbs "2" é'],
      ],
      included_files: tricky.included_files,
      backup_label: tricky.backup_label,
      copy_stats: { copy_time: 1.5, total_time: 2, tiny: 1e-5, big: 1e16, workers: 2 },
      begin_time: '2026-11-24T10:00:00.412117+01:00',
      size: 31604736,
      status: 'FAILED',
      error: tricky.error,
    });
  });

  it("barkeep writes back Barman's save() of every fixture unchanged", async () => {
    const newer = [
      'data_checksums',
      'summarize_wal',
      'parent_backup_id',
      'children_backup_ids',
      'cluster_size',
    ];
    for (const [name, newerKeys] of [
      ['barman-3.4-postgres.backup.info', []],
      ['barman-3.13-postgres.backup.info', newer],
    ] as const) {
      const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
      const path = join(scratch, name, 'backup.info');
      await mkdir(join(scratch, name));
      await writeFile(path, text);
      const { saved } = barmanRoundTrip(path, newerKeys);
      assert.equal(saved, text, name);
      assert.equal(formatBackupInfo(await readBackupInfo(path)), saved, name);
    }
  });

  it('Barman refuses a backup.info with a key it does not know (why barkeep adds none)', async () => {
    const path = join(scratch, 'unknown-key', 'backup.info');
    await mkdir(join(scratch, 'unknown-key'));
    await writeFile(path, 'status=STARTED\npid=4242\n');
    const result = spawnSync(python!, ['-c', BARMAN_ROUND_TRIP, path, ''], { encoding: 'utf8' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /AttributeError.*pid/);
  });
});
