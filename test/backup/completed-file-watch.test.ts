import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { watchCompletedFiles } from '../../src/backup/completed-file-watch.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-completed-file-watch-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const waitFor = async (condition: () => boolean) => {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
};

describe('watchCompletedFiles', () => {
  it('reports a file once it is in place under its own name, not while it has a temporary one', async () => {
    const target = join(scratch, 'first');
    mkdirSync(join(target, 'base', '5'), { recursive: true });
    const reported: string[] = [];
    const watch = watchCompletedFiles(
      target,
      ['base/5/16384', 'base/5/16385', 'PG_VERSION'],
      (done) => reported.push(...done),
    );
    try {
      // rsync writes under .name.XXXXXX, then renames.
      writeFileSync(join(target, 'base', '5', '.16384.a1b2c3'), 'data');
      writeFileSync(join(target, 'PG_VERSION'), '15\n');
      await waitFor(() => reported.includes('PG_VERSION'));
      assert.deepEqual(reported, ['PG_VERSION']);
      renameSync(join(target, 'base', '5', '.16384.a1b2c3'), join(target, 'base', '5', '16384'));
      await waitFor(() => reported.length === 2);
      assert.deepEqual(reported, ['PG_VERSION', 'base/5/16384']);
      // A file not in the list is never reported, a reported one never twice.
      writeFileSync(join(target, 'base', '5', '99999'), '');
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual(reported, ['PG_VERSION', 'base/5/16384']);
    } finally {
      await watch.stop();
    }
    writeFileSync(join(target, 'base', '5', '16385'), '');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(reported.includes('base/5/16385'), false, 'reported after stop()');
  });

  it('finds names that are not UTF-8 (paths are byte strings read as latin1)', async () => {
    const target = join(scratch, 'bytes');
    const name = Buffer.from([0x64, 0xe9, 0x6a, 0xe0]); // "déjà" in latin1: not valid UTF-8
    mkdirSync(Buffer.concat([Buffer.from(`${target}/`), name]), { recursive: true });
    const relative = `${name.toString('latin1')}/f`;
    const reported: string[] = [];
    const watch = watchCompletedFiles(target, [relative], (done) => reported.push(...done));
    try {
      writeFileSync(Buffer.concat([Buffer.from(`${target}/`), name, Buffer.from('/f')]), 'x');
      await waitFor(() => reported.length === 1);
      assert.deepEqual(reported, [relative]);
    } finally {
      await watch.stop();
    }
  });
});
