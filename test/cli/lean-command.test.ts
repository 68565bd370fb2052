import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runLeanCommand } from '../../src/cli/lean-command.ts';
import { parseLeanCommand } from '../../src/cli/lean-command-args.ts';

describe('parseLeanCommand', () => {
  it("recognises archive_command's call in every spelling of the global options", () => {
    assert.deepEqual(parseLeanCommand(['put-wal', 'pg', '/x/000000010000000000000001']), {
      command: 'put-wal',
      quiet: false,
      debug: false,
      server: 'pg',
      file: '/x/000000010000000000000001',
    });
    assert.deepEqual(parseLeanCommand(['-c', '/etc/b.conf', '-q', 'put-wal', 'pg', 'f']), {
      command: 'put-wal',
      config: '/etc/b.conf',
      quiet: true,
      debug: false,
      server: 'pg',
      file: 'f',
    });
    assert.equal(parseLeanCommand(['--config=/c', '-d', 'put-wal', 'pg', 'f'])?.config, '/c');
  });

  it("recognises restore_command's get-wal, to stdout or into a directory, with --partial", () => {
    assert.deepEqual(parseLeanCommand(['-c', '/b.conf', 'get-wal', 'pg', 'W']), {
      command: 'get-wal',
      config: '/b.conf',
      quiet: false,
      debug: false,
      server: 'pg',
      wal: 'W',
      partial: false,
    });
    for (const args of [
      ['get-wal', '-P', '-o', '/d', 'pg', 'W'],
      ['get-wal', 'pg', '--partial', 'W', '--output-directory', '/d'],
      ['get-wal', '--output-directory=/d', '--partial', 'pg', 'W'],
    ]) {
      assert.deepEqual(
        parseLeanCommand(args),
        {
          command: 'get-wal',
          quiet: false,
          debug: false,
          server: 'pg',
          wal: 'W',
          partial: true,
          outputDirectory: '/d',
        },
        args.join(' '),
      );
    }
  });

  it('leaves every other command line to the full CLI', () => {
    for (const args of [
      ['put-wal', 'pg'],
      ['put-wal', '--test', 'pg'],
      ['put-wal', 'pg', 'f', 'g'],
      ['-f', 'json', 'put-wal', 'pg', 'f'],
      ['get-wal', 'pg'],
      ['get-wal', 'pg', 'W', 'X'],
      ['get-wal', '-z', 'pg', 'W'],
      ['get-wal', '--test', 'pg', 'W'],
      ['get-wal', '--peek', '3', 'pg', 'W'],
      ['get-wal', 'pg', 'W', '-o'],
      ['list-backups', 'pg'],
      ['-c'],
      [],
    ]) {
      assert.equal(parseLeanCommand(args), undefined, args.join(' '));
    }
  });
});

describe('runLeanCommand', () => {
  it('put-wal: prints the contract error line and returns its exit code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'barkeep-lean-'));
    try {
      const config = join(dir, 'b.conf');
      await writeFile(config, `[barkeep]\nbarman_home = ${dir}\n\n[pg]\n`);
      const base = { command: 'put-wal', config, quiet: true, debug: false } as const;
      assert.equal(await runLeanCommand({ ...base, server: 'nope', file: join(dir, 'x') }), 2);
      assert.equal(await runLeanCommand({ ...base, server: 'pg', file: join(dir, 'absent') }), 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('get-wal: writes the file into the directory; exit 1 when missing, 2 for a bad config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'barkeep-lean-'));
    try {
      const config = join(dir, 'b.conf');
      await writeFile(config, `[barkeep]\nbarman_home = ${dir}\n\n[pg]\n`);
      const name = '000000010000000000000001.00000028.backup';
      await storeTestFile(dir, name);
      const base = { command: 'get-wal', config, quiet: true, debug: false } as const;
      const request = { ...base, server: 'pg', partial: false, outputDirectory: dir };
      assert.equal(await runLeanCommand({ ...request, wal: name }), 0);
      assert.equal(await readFile(join(dir, name), 'utf8'), 'START WAL LOCATION: 0/28\n');
      const absent = '000000010000000000000009';
      assert.equal(await runLeanCommand({ ...request, wal: absent }), 1);
      assert.equal(await runLeanCommand({ ...request, server: 'nope', wal: name }), 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A .backup file stored where get-wal looks for it (beside its segment in wals/). */
async function storeTestFile(home: string, name: string): Promise<void> {
  const directory = join(home, 'pg', 'wals', '0000000100000000');
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, name), 'START WAL LOCATION: 0/28\n');
}
