// The archive hooks around real WAL files: put-wal and archive-wal run pre_/post_archive_script
// and the retry variants with Barman's variables; exit 63 of the pre retry script stops.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { archiveIncoming } from '../../src/archive/archive-incoming.ts';
import { putWalFile } from '../../src/archive/put-wal.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { VERSION } from '../../src/version.ts';
import {
  Catalogs,
  storedSegmentPath,
  useWalCluster,
  writeAged,
  xlogDbLines,
} from '../archive/archive-fixtures.ts';
import { recordingScript } from './recording-script.ts';

const source = useWalCluster('archive-hooks', { segments: 3 });
const catalogs = new Catalogs();

describe('archive hooks', () => {
  it('put-wal runs the pre and post archive scripts with the source, then the stored file', async () => {
    const script = await recordingScript();
    const { server, layout } = await catalogs.server(
      [
        'compression = gzip',
        `pre_archive_script = ${script.command(0)}`,
        `pre_archive_retry_script = ${script.command(62)}`,
        `post_archive_retry_script = ${script.command(0)}`,
        `post_archive_script = ${script.command(5)}`,
      ],
      { identity: source.systemId },
    );
    const segment = source.segments[0]!;
    const dir = await mkdtemp(join(catalogs.dir, 'pg_wal-'));
    const offered = join(dir, segment.name);
    await writeFile(offered, segment.data);
    const outcome = await putWalFile(server, offered, silentLogger);
    assert.equal(outcome.kind, 'stored');
    const calls = await script.calls();
    assert.deepEqual(
      calls.map((c) => `${c.env['BARMAN_PHASE']} ${c.env['BARMAN_HOOK']} ${c.env['BARMAN_RETRY']}`),
      [
        'pre archive_script 0',
        'pre archive_retry_script 1',
        'post archive_retry_script 1',
        'post archive_script 0',
      ],
    );
    const [pre, , post] = calls;
    assert.equal(pre!.env['BARMAN_SEGMENT'], segment.name);
    assert.equal(pre!.env['BARMAN_FILE'], offered);
    assert.equal(pre!.env['BARMAN_SIZE'], String(segment.data.length));
    assert.match(pre!.env['BARMAN_TIMESTAMP']!, /^\d+(\.\d+)?$/);
    assert.equal(pre!.env['BARMAN_COMPRESSION'], '');
    assert.equal(pre!.env['BARMAN_SERVER'], server.name);
    assert.equal(pre!.env['BARMAN_CONFIGURATION'], server.file);
    assert.equal(pre!.env['BARMAN_VERSION'], VERSION);
    assert.equal(post!.env['BARMAN_FILE'], storedSegmentPath(layout, segment.name));
    assert.equal(post!.env['BARMAN_COMPRESSION'], 'gzip');
    assert.equal(post!.env['BARMAN_SIZE'], String(outcome.entry.size));
    assert.equal(post!.env['BARMAN_ERROR'], '');
  });

  it('put-wal stores nothing when the pre retry script exits 63, and tells the post hooks', async () => {
    const script = await recordingScript();
    const { server, layout } = await catalogs.server(
      [
        `pre_archive_retry_script = ${script.command(63)}`,
        `post_archive_script = ${script.command(0)}`,
      ],
      { identity: source.systemId },
    );
    const segment = source.segments[1]!;
    const dir = await mkdtemp(join(catalogs.dir, 'pg_wal-'));
    await writeFile(join(dir, segment.name), segment.data);
    await assert.rejects(putWalFile(server, join(dir, segment.name), silentLogger), (error) =>
      isBarkeepError(error, 'hookAborted'),
    );
    assert.equal(existsSync(storedSegmentPath(layout, segment.name)), false);
    const post = (await script.calls()).at(-1)!;
    assert.equal(post.env['BARMAN_PHASE'], 'post');
    assert.match(post.env['BARMAN_ERROR']!, /asked to stop/);
  });

  it('archive-wal stops its pass when the pre retry script exits 63; the file stays', async () => {
    const script = await recordingScript();
    const { server, layout } = await catalogs.server(
      [`pre_archive_retry_script = ${script.command(0, 63)}`],
      { identity: source.systemId },
    );
    await mkdir(layout.incoming, { recursive: true });
    const [a, b, c] = source.segments;
    for (const segment of [a!, b!, c!])
      await writeAged(join(layout.incoming, segment.name), segment.data, 120_000);
    const result = await archiveIncoming(server, silentLogger);
    assert.deepEqual(result.archived, [a!.name]);
    assert.match(result.stopped ?? '', /exited 63/);
    assert.ok(existsSync(join(layout.incoming, b!.name)));
    assert.ok(existsSync(join(layout.incoming, c!.name)));
    assert.deepEqual(
      (await xlogDbLines(layout)).map((line) => line.split('\t')[0]),
      [a!.name],
    );
    const calls = await script.calls();
    assert.deepEqual(
      calls.map((call) => call.env['BARMAN_FILE']),
      [join(layout.incoming, a!.name), join(layout.incoming, b!.name)],
    );
  });

  it('archive-wal without hooks spawns nothing', async () => {
    const { server, layout } = await catalogs.server([], { identity: source.systemId });
    await mkdir(layout.incoming, { recursive: true });
    const segment = source.segments[2]!;
    await writeAged(join(layout.incoming, segment.name), segment.data, 120_000);
    const result = await archiveIncoming(server, silentLogger);
    assert.deepEqual(result.archived, [segment.name]);
    assert.equal(result.stopped, undefined);
  });
});
