// The backup hooks' variables on a catalog on disk (run-backup.ts calls the same runner; the
// end-to-end retention test runs it around a real backup).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBackupInfo, writeBackupInfo } from '../../src/catalog/backup-info.ts';
import { backupHookRunner } from '../../src/hooks/backup-hook-runner.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { wal } from '../retention/catalog-fixtures.ts';
import { diskCatalog, writeBackup } from '../retention/disk-catalog.ts';
import { recordingLogger } from '../support/recording-logger.ts';
import { recordingScript } from './recording-script.ts';

const IDS = ['20250101T000000', '20250102T000000', '20250103T000000', '20250104T000000'];

describe('backup hooks', () => {
  it('are not set up when no backup script is configured', async () => {
    const made = await diskCatalog(['pre_archive_script = true']);
    assert.equal(backupHookRunner(made.server, made.layout, silentLogger), undefined);
  });

  it('give the scripts the backup, its complete neighbours, its status and error', async () => {
    const script = await recordingScript();
    const made = await diskCatalog([
      `pre_backup_script = ${script.command(0)}`,
      `post_backup_retry_script = ${script.command(0)}`,
    ]);
    const end = new Date();
    await writeBackup(made.layout, IDS[0]!, { beginWal: wal(1), endWal: wal(2), end });
    await writeBackup(made.layout, IDS[1]!, { beginWal: wal(3), endWal: wal(4), end });
    await writeBackup(made.layout, IDS[2]!, {
      beginWal: wal(5),
      endWal: wal(6),
      end,
      status: 'STARTED',
    });
    await writeBackup(made.layout, IDS[3]!, {
      beginWal: wal(7),
      endWal: wal(8),
      end,
      status: 'FAILED',
    });
    const runner = backupHookRunner(made.server, made.layout, silentLogger)!;
    await runner.pre(IDS[2]!);
    const info = join(made.layout.base, IDS[2]!, 'backup.info');
    await writeBackupInfo(info, {
      ...(await readBackupInfo(info)),
      status: 'FAILED',
      error: 'the copy failed',
    });
    await runner.post(IDS[2]!);
    const [pre, post] = await script.calls();
    assert.deepEqual(pre!.env, {
      BARMAN_BACKUP_DIR: join(made.layout.base, IDS[2]!),
      BARMAN_BACKUP_ID: IDS[2],
      BARMAN_CONFIGURATION: made.server.file,
      BARMAN_ERROR: '',
      BARMAN_HOOK: 'backup_script',
      BARMAN_NEXT_ID: '',
      BARMAN_PHASE: 'pre',
      BARMAN_PREVIOUS_ID: IDS[1],
      BARMAN_RETRY: '0',
      BARMAN_SERVER: 'pg',
      BARMAN_STATUS: 'STARTED',
      BARMAN_VERSION: pre!.env['BARMAN_VERSION'],
    });
    assert.equal(post!.env['BARMAN_HOOK'], 'backup_retry_script');
    assert.equal(post!.env['BARMAN_STATUS'], 'FAILED');
    assert.equal(post!.env['BARMAN_ERROR'], 'the copy failed');
    const first = backupHookRunner(made.server, made.layout, silentLogger)!;
    await first.pre(IDS[0]!);
    const last = (await script.calls()).at(-1)!;
    assert.equal(last.env['BARMAN_PREVIOUS_ID'], '');
    assert.equal(last.env['BARMAN_NEXT_ID'], IDS[1]);
  });

  it('post hooks never throw, even for a backup that is gone', async () => {
    const script = await recordingScript();
    const made = await diskCatalog([`post_backup_script = ${script.command(0)}`]);
    const { logger, lines } = recordingLogger();
    await backupHookRunner(made.server, made.layout, logger)!.post(IDS[0]!);
    assert.ok(lines.some((line) => /post-backup hooks of .* not run/.test(line.message)));
  });
});
