import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runLeanPutWal } from '../../src/cli/lean-put-wal.ts';
import { parseLeanPutWal } from '../../src/cli/lean-put-wal-args.ts';

describe('parseLeanPutWal', () => {
  it("recognises archive_command's call in every spelling of the global options", () => {
    assert.deepEqual(parseLeanPutWal(['put-wal', 'pg', '/x/000000010000000000000001']), {
      quiet: false,
      debug: false,
      server: 'pg',
      file: '/x/000000010000000000000001',
    });
    assert.deepEqual(parseLeanPutWal(['-c', '/etc/b.conf', '-q', 'put-wal', 'pg', 'f']), {
      config: '/etc/b.conf',
      quiet: true,
      debug: false,
      server: 'pg',
      file: 'f',
    });
    assert.equal(parseLeanPutWal(['--config=/c', '-d', 'put-wal', 'pg', 'f'])?.config, '/c');
  });

  it('leaves every other command line to the full CLI', () => {
    for (const args of [
      ['put-wal', 'pg'],
      ['put-wal', '--test', 'pg'],
      ['put-wal', 'pg', 'f', 'g'],
      ['-f', 'json', 'put-wal', 'pg', 'f'],
      ['get-wal', 'pg', 'f'],
      ['-c'],
      [],
    ]) {
      assert.equal(parseLeanPutWal(args), undefined, args.join(' '));
    }
  });
});

describe('runLeanPutWal', () => {
  it('prints the contract error line and returns its exit code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'barkeep-lean-'));
    try {
      const config = join(dir, 'b.conf');
      await writeFile(config, `[barkeep]\nbarman_home = ${dir}\n\n[pg]\n`);
      const code = await runLeanPutWal({
        config,
        quiet: true,
        debug: false,
        server: 'nope',
        file: join(dir, 'x'),
      });
      assert.equal(code, 2);
      const missing = await runLeanPutWal({
        config,
        quiet: true,
        debug: false,
        server: 'pg',
        file: join(dir, 'absent'),
      });
      assert.equal(missing, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
