import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { parseListenAddress } from '../../src/serve/listen-address.ts';
import { startServe } from '../../src/serve/run-serve.ts';
import { diskCatalog, writeBackup, writeWal } from '../retention/disk-catalog.ts';

describe('serve_listen', () => {
  it('reads HOST:PORT and [IPv6]:PORT, and refuses anything else', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:9187'), { host: '127.0.0.1', port: 9187 });
    assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListenAddress('backup.example.com:80'), {
      host: 'backup.example.com',
      port: 80,
    });
    for (const bad of ['9187', 'host:', 'host:99999', ':80'])
      assert.throws(() => parseListenAddress(bad), /is not HOST:PORT/, bad);
  });
});

describe('startServe, on a catalog without PostgreSQL', () => {
  it('serves the status page, /api/status and /metrics, reloads, and stops', async () => {
    const { dir, layout } = await diskCatalog([
      'description = made up',
      'conninfo = host=/nonexistent port=1',
      'archiver = on',
    ]);
    await writeBackup(layout, '20261101T120000', {
      beginWal: '000000010000000000000002',
      endWal: '000000010000000000000002',
      end: new Date(Date.UTC(2026, 10, 1, 12)),
    });
    await writeWal(layout, ['000000010000000000000002', '000000010000000000000003']);
    const file = join(dir, 'barkeep.conf');
    const text = readFile(file, 'utf8');
    await writeFile(
      file,
      (await text).replace('[barkeep]\n', '[barkeep]\nserve_listen = 127.0.0.1:0\n'),
    );
    const handle = await startServe({
      logger: silentLogger,
      barkeep: { program: '/bin/false', args: [] },
      loadConfig: () => loadConfig({ explicitFile: file, env: {} }),
    });
    try {
      assert.match(handle.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const json = async () =>
        (await (await fetch(`${handle.url}api/status`)).json()) as {
          servers: {
            name: string;
            description: string;
            checks: { name: string; ok: boolean; hint: string }[];
          }[];
        };
      // The first checks run at once; the server is down.
      for (let i = 0; i < 100 && (await json()).servers[0]!.checks.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const [pg] = (await json()).servers;
      assert.equal(pg!.name, 'pg');
      assert.deepEqual(
        pg!.checks.find((check) => check.name === 'PostgreSQL'),
        { name: 'PostgreSQL', ok: false, hint: pg!.checks[0]!.hint },
      );
      const metrics = await (await fetch(`${handle.url}metrics`)).text();
      assert.match(metrics, /^barkeep_wal_archived_files\{server="pg"\} 2$/m);
      assert.match(metrics, /^barkeep_backups\{server="pg",status="DONE"\} 1$/m);
      assert.match(metrics, /^barkeep_check_ok\{server="pg",check="PostgreSQL"\} 0$/m);
      assert.match(metrics, /^barkeep_receiver_state\{server="pg",state="off"\} 1$/m);
      const page = await (await fetch(handle.url)).text();
      assert.match(page, /<section class="server unhealthy" data-server="pg">/);
      assert.match(page, /<li class="check-failed"><b>PostgreSQL<\/b>: FAILED /);
      assert.match(page, /Last backup<\/th><td>20261101T120000, \d+ days ago/);
      assert.equal((await fetch(`${handle.url}nothing`)).status, 404);
      assert.equal((await fetch(handle.url, { method: 'POST' })).status, 405);

      await writeFile(file, (await readFile(file, 'utf8')).replace('made up', 'reloaded'));
      await handle.reload();
      assert.equal((await json()).servers[0]!.description, 'reloaded');
    } finally {
      await handle.stop();
    }
    assert.ok(existsSync(layout.incoming));
  });

  it('names the address it cannot listen on', async () => {
    const { dir } = await diskCatalog(['conninfo = host=/nonexistent port=1']);
    const file = join(dir, 'barkeep.conf');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('[barkeep]\n', '[barkeep]\nserve_listen = 192.0.2.1:1\n'));
    await assert.rejects(
      startServe({
        logger: silentLogger,
        barkeep: { program: '/bin/false', args: [] },
        loadConfig: () => loadConfig({ explicitFile: file, env: {} }),
      }),
      /cannot listen '192\.0\.2\.1:1'/,
    );
  });
});
