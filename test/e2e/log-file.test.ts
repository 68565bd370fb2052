// log_file through the built bundle (pino is loaded from its own chunk there): warnings, the
// messages of a command and its final error arrive as JSON lines, for the main CLI and for
// archive_command's lean put-wal path alike.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBarkeep } from '../support/cli.ts';

describe('log_file, through the bundle', () => {
  let dir: string;
  let config: string;
  let log: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'barkeep-log-file-'));
    log = join(dir, 'log', 'barkeep.log');
    config = join(dir, 'barkeep.conf');
    writeFileSync(
      config,
      [
        '[barkeep]',
        `barman_home = ${join(dir, 'home')}`,
        `log_file = ${log}`,
        '',
        '[pg]',
        'conninfo = host=/nonexistent',
        'snapshot_provider = gcp',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function lines(): { level: string; command: string; msg: string }[] {
    return readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  }

  it('records the warnings and the final error of a failing command', async () => {
    const run = await runBarkeep(['-c', config, 'backup', 'pg']);
    assert.equal(run.code, 1, run.stderr);
    const written = lines().filter((line) => line.command === 'backup');
    assert.ok(written.some((line) => line.level === 'warn' && /snapshot_provider/.test(line.msg)));
    const failure = written.find((line) => line.level === 'error');
    assert.match(failure?.msg ?? '', /^ERROR: cannot verify WAL origin 'pg': /);
  });

  it("records put-wal's failure on archive_command's lean path", async () => {
    const run = await runBarkeep(['-c', config, 'put-wal', 'pg', join(dir, 'missing')]);
    assert.notEqual(run.code, 0);
    const failure = lines().find((line) => line.command === 'put-wal' && line.level === 'error');
    assert.ok(failure, JSON.stringify(lines()));
  });
});
