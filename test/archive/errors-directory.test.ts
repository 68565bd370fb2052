import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  errorsTimestamp,
  keepCopyInErrors,
  listErrors,
  moveToErrors,
} from '../../src/archive/errors-directory.ts';
import {
  ensureServerLayout,
  type LayoutSettings,
  type ServerLayout,
  serverLayout,
} from '../../src/catalog/server-layout.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { Catalogs } from './archive-fixtures.ts';

const catalogs = new Catalogs();
let count = 0;
const NAME = '000000010000000000000007';
const NOW = new Date('2025-01-02T03:04:05.678Z');

async function layout(settings: Partial<LayoutSettings> = {}): Promise<ServerLayout> {
  const fresh = serverLayout(`err${++count}`, { barman_home: catalogs.home, ...settings });
  await ensureServerLayout(fresh);
  return fresh;
}

async function incomingFile(at: ServerLayout, name: string, data: string): Promise<string> {
  const path = join(at.incoming, name);
  await writeFile(path, data);
  return path;
}

describe('errors/', () => {
  it("stamps names with Barman's UTC timestamp", () => {
    assert.equal(errorsTimestamp(NOW), '20250102T030405Z');
    assert.equal(errorsTimestamp(new Date('1999-12-31T23:59:59.999Z')), '19991231T235959Z');
  });

  it('lists nothing when errors/ does not exist, and never the hidden temporary files', async () => {
    const missing = serverLayout('never-created', { barman_home: catalogs.home });
    assert.deepEqual(await listErrors(missing), []);
    const at = await layout();
    await writeFile(join(at.errors, '.x.tmp'), '');
    await writeFile(join(at.errors, 'junk.20250102T030405Z.unknown'), '');
    assert.deepEqual(await listErrors(at), ['junk.20250102T030405Z.unknown']);
  });

  it('reports an errors/ that cannot be listed as an io error', async () => {
    const at = serverLayout(`err${++count}`, { barman_home: catalogs.home });
    await mkdir(at.backupDirectory, { recursive: true });
    await writeFile(at.errors, 'a file where errors/ should be');
    await assert.rejects(listErrors(at), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.subject, at.errors);
      return true;
    });
  });

  it('moves a rejected file with its suffix, numbering names taken in the same second', async () => {
    const at = await layout();
    const kept: string[] = [];
    for (const content of ['first', 'second', 'third']) {
      const source = await incomingFile(at, NAME, content);
      kept.push(await moveToErrors(at, source, NAME, 'error', NOW));
      assert.equal(existsSync(source), false);
    }
    const base = join(at.errors, `${NAME}.20250102T030405Z.error`);
    assert.deepEqual(kept, [base, `${base}.1`, `${base}.2`]);
    assert.deepEqual(await Promise.all(kept.map((path) => readFile(path, 'utf8'))), [
      'first',
      'second',
      'third',
    ]);
    const junk = await incomingFile(at, 'junk.txt', 'junk');
    assert.equal(
      await moveToErrors(at, junk, 'junk.txt', 'unknown'),
      join(at.errors, `junk.txt.${errorsTimestamp(new Date())}.unknown`),
    );
  });

  it('reports a source that cannot be moved as an io error', async () => {
    const at = await layout();
    const missing = join(at.incoming, NAME);
    await assert.rejects(moveToErrors(at, missing, NAME, 'error', NOW), (error) => {
      assert.ok(isBarkeepError(error, 'io'));
      assert.equal(error.what, 'cannot move rejected file to errors/');
      assert.equal(error.subject, missing);
      return true;
    });
    assert.deepEqual(await listErrors(at), []);
  });

  const shm = '/dev/shm';
  const crossDevice =
    existsSync(shm) && statSync(shm).dev !== statSync(catalogs.dir).dev
      ? false
      : 'needs /dev/shm on another file system than the temp directory';
  it('copies into an errors/ on another file system, then removes the source', {
    skip: crossDevice,
  }, async () => {
    const elsewhere = crossDevice === false ? mkdtempSync(join(shm, 'barkeep-errors-')) : '';
    after(async () => {
      await rm(elsewhere, { recursive: true, force: true });
    });
    const at = await layout({ errors_directory: elsewhere });
    const source = await incomingFile(at, NAME, 'segment bytes');
    const kept = await moveToErrors(at, source, NAME, 'duplicate', NOW);
    assert.equal(kept, join(elsewhere, `${NAME}.20250102T030405Z.duplicate`));
    assert.equal(await readFile(kept, 'utf8'), 'segment bytes');
    assert.equal(existsSync(source), false);
    assert.deepEqual(
      (await readdir(elsewhere)).filter((name) => name.startsWith('.')),
      [],
      'no temporary file left behind',
    );
  });

  it('keeps one copy of the same rejected content however often it is offered', async () => {
    const at = await layout();
    const data = Buffer.from('the offered duplicate');
    const first = await keepCopyInErrors(at, NAME, data, 'duplicate', NOW);
    assert.equal(first, join(at.errors, `${NAME}.20250102T030405Z.duplicate`));
    assert.ok((await readFile(first)).equals(data));
    const later = new Date(NOW.getTime() + 3_600_000);
    assert.equal(await keepCopyInErrors(at, NAME, data, 'duplicate', later), first);
    assert.equal(await keepCopyInErrors(at, NAME, data, 'duplicate'), first);
    assert.deepEqual(await listErrors(at), [`${NAME}.20250102T030405Z.duplicate`]);
  });

  it('keeps other content, or the same content for another reason or name, as new files', async () => {
    const at = await layout();
    const data = Buffer.from('content A');
    const a = await keepCopyInErrors(at, NAME, data, 'duplicate', NOW);
    const b = await keepCopyInErrors(at, NAME, Buffer.from('content B'), 'duplicate', NOW);
    assert.equal(b, `${a}.1`);
    assert.equal(await readFile(b, 'utf8'), 'content B');
    const asError = await keepCopyInErrors(at, NAME, data, 'error', NOW);
    assert.equal(asError, join(at.errors, `${NAME}.20250102T030405Z.error`));
    const otherName = '000000010000000000000008';
    const other = await keepCopyInErrors(at, otherName, data, 'duplicate', NOW);
    assert.equal(other, join(at.errors, `${otherName}.20250102T030405Z.duplicate`));
    assert.equal((await listErrors(at)).length, 4);
  });
});
