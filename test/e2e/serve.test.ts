// barkeep serve as an operator runs it (systemd, as the catalog's owner): WAL archived as it
// arrives, a killed receiver restarted, scheduled backups, /metrics for Prometheus, the status
// page in a real headless browser, SIGHUP and SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { type ArchivedServer, startArchivedServer } from '../support/archived-server.ts';
import { installCliForOsUser } from '../support/cli.ts';
import { lookupOsUser } from '../support/cluster.ts';
import { waitFor } from '../support/receiver.ts';

const chromiumPath = '/usr/bin/chromium';
const SEGMENT = /^[0-9A-F]{24}$/;

interface StatusServer {
  name: string;
  description: string | null;
  backups: { last: { backup_id: string } | null; by_status: Record<string, number> };
  receiver: { state: string; pid: number | null; restarts: number };
  checks: { name: string; ok: boolean }[];
}

describe('serve', () => {
  let server: ArchivedServer;
  let serve: ChildProcess;
  let url = '';
  let output = '';
  const lines = [
    'description = main cluster',
    'streaming_archiver = on',
    'slot_name = barkeep_serve',
    'create_slot = auto',
    'backup_schedule = */5 * * * * *',
    'immediate_checkpoint = true',
    'retention_policy = REDUNDANCY 1',
  ];
  /** The configuration: the server, a global serve_listen and a second server that is down. */
  const configure = (serverLines: string[]) => {
    server.writeConfig(serverLines);
    const text = readFileSync(server.configFile, 'utf8')
      .replace('[barkeep]\n', '[barkeep]\nserve_listen = 127.0.0.1:0\n')
      .concat(
        '\n[down]\ndescription = nobody home\nconninfo = host=/nonexistent port=1\narchiver = on\n',
      );
    writeFileSync(server.configFile, text);
  };
  const status = async (): Promise<StatusServer[]> =>
    ((await (await fetch(`${url}api/status`)).json()) as { servers: StatusServer[] }).servers;
  const pg = async () => (await status()).find((item) => item.name === 'pg')!;

  before(async () => {
    server = await startArchivedServer({ label: 'e2e-serve', shipping: 'incoming' });
    configure(lines);
    await server.cluster.query('CREATE TABLE t AS SELECT generate_series(1, 1000) AS g');
    const user = process.getuid?.() === 0 ? lookupOsUser('postgres') : undefined;
    serve = spawn(installCliForOsUser(), ['-c', server.configFile, 'serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_V8_COVERAGE: '', ...(user ? { HOME: user.home } : {}) },
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    serve.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    serve.stderr?.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    await waitFor(() => /status page (http:\S+)/.test(output), `serve to listen:\n${output}`);
    url = /status page (http:\S+),/.exec(output)![1]!;
  });
  after(async () => {
    if (serve && serve.exitCode === null && serve.signalCode === null) {
      serve.kill('SIGKILL');
    }
    await server?.stop();
  });

  it('archives a segment dropped into incoming/ within 2 s', async () => {
    const [row] = await server.cluster.query<{ name: string }>(
      'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
    );
    const name = row!.name;
    const stored = join(server.layout.wals, name.slice(0, 16), name);
    await server.cluster.query('SELECT pg_switch_wal()');
    await waitFor(
      () => readdirSync(server.layout.incoming).includes(name) || existsSync(stored),
      'archive_command to copy it',
    );
    const dropped = Date.now();
    await waitFor(() => existsSync(stored), `${name} archived by serve`, 10_000);
    assert.ok(Date.now() - dropped < 2000, `archived after ${Date.now() - dropped} ms`);
  });

  it('restarts a killed receiver within 5 s', async () => {
    await waitFor(async () => (await pg()).receiver.state === 'running', 'a running receiver');
    const before = await pg();
    process.kill(before.receiver.pid!, 'SIGKILL');
    const killed = Date.now();
    await waitFor(
      async () => {
        const now = (await pg()).receiver;
        return now.state === 'running' && now.pid !== before.receiver.pid;
      },
      'the receiver restarted',
      10_000,
    );
    assert.ok(Date.now() - killed < 5000, `restarted after ${Date.now() - killed} ms`);
    assert.equal((await pg()).receiver.restarts, before.receiver.restarts + 1);
  });

  it('takes the scheduled backups, with retention after each', async () => {
    await waitFor(async () => (await pg()).backups.last !== null, 'a scheduled backup', 60_000);
    const first = (await pg()).backups.last!.backup_id;
    await waitFor(
      async () => (await pg()).backups.last!.backup_id !== first,
      'a second scheduled backup',
      60_000,
    );
    // REDUNDANCY 1: the first one went once the second was done.
    await waitFor(async () => (await pg()).backups.by_status.DONE === 1, 'retention', 30_000);
  });

  it('serves /metrics in the Prometheus text format with the values of each server', async () => {
    await waitFor(
      async () => (await pg()).checks.length > 0 && (await status()).every((s) => s.checks.length),
      'the first checks',
    );
    // Every 5 s a backup ends and retention (REDUNDANCY 1) prunes the WAL before it, so for a
    // moment no segment may be archived yet: scrape until one is (the values below are then read
    // from that one scrape).
    let response: Response | undefined;
    let text = '';
    await waitFor(
      async () => {
        response = await fetch(`${url}metrics`);
        text = await response.text();
        return /^barkeep_wal_archived_files\{server="pg"\} [1-9]/m.test(text);
      },
      'an archived segment in /metrics',
      20_000,
    );
    assert.equal(response?.status, 200);
    assert.match(response?.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(
        line,
      );
      assert.ok(match, `not Prometheus text: ${line}`);
      samples.set(match[1]!, Number(match[2]));
    }
    const value = (key: string) => {
      assert.ok(samples.has(key), `${key} in:\n${text}`);
      return samples.get(key)!;
    };
    assert.ok(value('barkeep_last_backup_age_seconds{server="pg"}') >= 0);
    assert.ok(value('barkeep_last_backup_size_bytes{server="pg"}') > 1_000_000);
    assert.ok(value('barkeep_backups{server="pg",status="DONE"}') >= 1);
    assert.ok(value('barkeep_wal_archived_files{server="pg"}') >= 1);
    assert.ok(value('barkeep_wal_archived_bytes{server="pg"}') > 0);
    assert.ok(value('barkeep_archive_lag_seconds{server="pg"}') >= 0);
    assert.equal(value('barkeep_errors_files{server="pg"}'), 0);
    assert.equal(value('barkeep_receiver_state{server="pg",state="running"}'), 1);
    assert.ok(value('barkeep_receiver_restarts{server="pg"}') >= 1);
    assert.equal(value('barkeep_check_ok{server="pg",check="PostgreSQL"}'), 1);
    assert.equal(value('barkeep_check_ok{server="down",check="PostgreSQL"}'), 0);
    assert.equal(value('barkeep_receiver_state{server="down",state="off"}'), 1);
    assert.ok(
      value(
        'barkeep_command_duration_seconds_count{server="pg",command="archive-wal",outcome="ok"}',
      ) >= 1,
    );
    assert.ok(
      value('barkeep_command_duration_seconds_count{server="pg",command="backup",outcome="ok"}') >=
        1,
    );
  });

  it('shows the servers and a failing check on the status page, in a real browser', {
    skip: existsSync(chromiumPath)
      ? false
      : `${chromiumPath} is not installed (.ci/run installs it)`,
  }, async () => {
    await waitFor(
      async () => (await pg()).checks.every((check) => check.ok),
      `every check of pg to pass: ${JSON.stringify((await pg()).checks.filter((c) => !c.ok))}`,
      40_000,
    );
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      assert.equal(await page.title(), 'barkeep status');
      const main = page.locator('section[data-server="pg"]');
      await main.waitFor({ state: 'visible' });
      assert.match(await main.locator('h2').innerText(), /^pg OK$/);
      assert.match(await main.innerText(), /Last backup\s+\d{8}T\d{6}/);
      const down = page.locator('section[data-server="down"]');
      assert.match(await down.locator('h2').innerText(), /^down FAILING$/);
      const failing = down.locator('.check-failed').first();
      assert.ok(await failing.isVisible());
      assert.match(await failing.innerText(), /PostgreSQL: FAILED/);
      // The failing card is marked red, the healthy one green.
      const color = (selector: string) =>
        page.$eval(
          selector,
          (element) =>
            (
              globalThis as unknown as {
                getComputedStyle(e: unknown): { borderLeftColor: string };
              }
            ).getComputedStyle(element).borderLeftColor,
        );
      assert.equal(await color('section[data-server="down"]'), 'rgb(198, 40, 40)');
      assert.equal(await color('section[data-server="pg"]'), 'rgb(42, 138, 42)');
    } finally {
      await browser.close();
    }
  });

  it("reports the receiver's lag in bytes once the checks see it streaming", async () => {
    // The checks (every 30 s, and when WAL arrives while one fails) read it from
    // pg_stat_replication.
    const lag = /^barkeep_receiver_lag_bytes\{server="pg"\} (\d+)$/m;
    let text = '';
    await waitFor(
      async () => {
        text = await (await fetch(`${url}metrics`)).text();
        return lag.test(text);
      },
      'barkeep_receiver_lag_bytes',
      40_000,
    );
    const bytes = Number(lag.exec(text)![1]);
    assert.ok(bytes < 16 * 1024 * 1024, `lag ${bytes}`);
  });

  it('reloads the configuration on SIGHUP', async () => {
    configure(lines.map((line) => line.replace('main cluster', 'main cluster, reloaded')));
    serve.kill('SIGHUP');
    await waitFor(
      async () => (await pg()).description === 'main cluster, reloaded',
      'the new description',
    );
  });

  it('stops cleanly on SIGTERM: the receiver flushed, no partial segment left as complete', async () => {
    const exited = new Promise<number | null>((resolve) => serve.once('exit', resolve));
    serve.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    const rows = await server.cluster.query(
      "SELECT 1 FROM pg_stat_replication WHERE application_name = 'barkeep_receive_wal'",
    );
    assert.equal(rows.length, 0, 'no receiver left streaming');
    for (const name of readdirSync(server.layout.streaming).filter((n) => SEGMENT.test(n)))
      assert.equal(statSync(join(server.layout.streaming, name)).size, 16 * 1024 * 1024, name);
  });
});
