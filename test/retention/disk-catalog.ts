// A catalog on disk without PostgreSQL, for the retention and keep tests: backups with
// backup.info files and WAL files with their xlog.db lines, made up but laid out as barkeep does.
import { mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { storedPath } from '../../src/archive/store-wal-file.ts';
import { formatXlogDbLine } from '../../src/archive/xlog-db.ts';
import { emptyBackupInfo, writeBackupInfo } from '../../src/catalog/backup-info.ts';
import type { KeepTarget } from '../../src/catalog/backup-keep.ts';
import { setKeepTarget } from '../../src/catalog/backup-keep.ts';
import { backupDirectory } from '../../src/catalog/backup-paths.ts';
import type { BackupStatus } from '../../src/catalog/backup-status.ts';
import { backupTimestamp } from '../../src/catalog/backup-timestamp.ts';
import {
  ensureServerLayout,
  type ServerLayout,
  serverLayout,
} from '../../src/catalog/server-layout.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { ServerConfig } from '../../src/config/settings.ts';
import { parseWalFileName } from '../../src/wal/wal-file-name.ts';

/** A server section with its (empty) catalog under a fresh temporary directory. */
export interface DiskCatalog {
  readonly server: ServerConfig;
  readonly layout: ServerLayout;
  readonly dir: string;
}

/** Temporary directories made by this test file, removed in `after`. */
const made: string[] = [];
after(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

/** A server `pg` with the given extra lines (e.g. `retention_policy = REDUNDANCY 1`). */
export async function diskCatalog(lines: string[]): Promise<DiskCatalog> {
  const dir = mkdtempSync(join(tmpdir(), 'barkeep-retention-test-'));
  made.push(dir);
  const file = join(dir, 'barkeep.conf');
  const text = ['[barkeep]', `barman_home = ${join(dir, 'home')}`, '', '[pg]', ...lines, ''];
  await writeFile(file, text.join('\n'));
  const server = (await loadConfig({ explicitFile: file, env: {} })).servers.get('pg')!;
  const layout = serverLayout('pg', server.settings);
  await ensureServerLayout(layout);
  return { server, layout, dir };
}

/** Writes a backup: backup.info with the given status, times and WAL, and a data file. */
export async function writeBackup(
  layout: ServerLayout,
  backupId: string,
  spec: {
    beginWal: string;
    endWal: string;
    end: Date;
    status?: BackupStatus;
    keep?: KeepTarget;
  },
): Promise<void> {
  const paths = backupDirectory(layout, backupId);
  await mkdir(paths.data, { recursive: true });
  await writeFile(join(paths.data, 'PG_VERSION'), '16\n');
  await writeBackupInfo(paths.info, {
    ...emptyBackupInfo(backupId),
    status: spec.status ?? 'DONE',
    begin_wal: spec.beginWal,
    end_wal: spec.endWal,
    timeline: Number.parseInt(spec.beginWal.slice(0, 8), 16),
    begin_time: backupTimestamp(new Date(spec.end.getTime() - 60_000)),
    end_time: backupTimestamp(spec.end),
    size: 100,
  });
  if (spec.keep) await setKeepTarget(layout, backupId, spec.keep);
}

/** Stores fake WAL files under their catalog paths and indexes them, one xlog.db line each. */
export async function writeWal(layout: ServerLayout, names: readonly string[]): Promise<void> {
  let index = '';
  for (const name of names) {
    const path = storedPath(layout, parseWalFileName(name)!);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `fake ${name}`);
    index += formatXlogDbLine({ name, size: 1000, time: 1_700_000_000, compression: 'zstd' });
  }
  await writeFile(layout.xlogDb, index, { flag: 'a' });
}
