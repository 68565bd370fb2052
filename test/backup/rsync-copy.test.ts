import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BackupFileDigests, DigestTree } from '../../src/backup/backup-file-digests.ts';
import { copyTrees } from '../../src/backup/rsync-copy.ts';

const scratch = mkdtempSync(join(tmpdir(), 'barkeep-rsync-copy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('copyTrees', {
  skip: existsSync('/usr/bin/rsync')
    ? false
    : 'rsync is not installed (apt-get install rsync; .ci/run does it)',
}, () => {
  it('hands each file to the checksums while its rsync run is still going', async () => {
    const source = join(scratch, 'pgdata');
    mkdirSync(join(source, 'base', '1'), { recursive: true });
    writeFileSync(join(source, 'PG_VERSION'), '15\n');
    for (let i = 0; i < 5; i++) writeFileSync(join(source, 'base', '1', String(1000 + i)), 'x');
    // An rsync that lingers for a second after its copy is done, as a long run's tail would.
    const bin = join(scratch, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'rsync'),
      '#!/bin/sh\n/usr/bin/rsync "$@"\nstatus=$?\nsleep 1\nexit $status\n',
    );
    chmodSync(join(bin, 'rsync'), 0o755);
    const submitted: string[][] = [];
    const digests = {
      submit(_tree: DigestTree, paths: readonly string[]) {
        submitted.push([...paths]);
      },
    } as unknown as BackupFileDigests;
    const copied = await copyTrees({
      host: { kind: 'local' },
      trees: [{ source, target: join(scratch, 'copy') }],
      major: 15,
      jobs: 1,
      base: undefined,
      compress: false,
      digests,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    assert.equal(copied.files, 6);
    // The watch reported the files during the run's last second; the final submit repeats all.
    const during = submitted.slice(0, -1).flat().sort();
    assert.deepEqual(during, [
      'PG_VERSION',
      'base/1/1000',
      'base/1/1001',
      'base/1/1002',
      'base/1/1003',
      'base/1/1004',
    ]);
    assert.equal(submitted.at(-1)?.length, 6);
  });
});
