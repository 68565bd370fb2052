import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServeMetrics } from '../../src/serve/serve-metrics.ts';
import { statusDocument } from './status-document.ts';

/** The samples of a Prometheus text exposition, by series; fails on a line that is not one. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) /.test(line)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(match, `not Prometheus text: ${line}`);
    found.set(match[1]!, Number(match[2]));
  }
  return found;
}

describe('ServeMetrics', () => {
  it('renders every server value of the status documents as gauges', async () => {
    const metrics = new ServeMetrics();
    const text = await metrics.render([
      statusDocument('main', {
        checks: [
          { name: 'PostgreSQL', ok: true, hint: null },
          { name: 'WAL archive', ok: false, hint: 'no WAL' },
        ],
        wal: { errors_count: 2 },
      }),
    ]);
    assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(text, /^# TYPE barkeep_last_backup_age_seconds gauge$/m);
    const values = samples(text);
    assert.deepEqual(
      Object.fromEntries([...values].filter(([key]) => key.includes('server="main"'))),
      {
        'barkeep_last_backup_age_seconds{server="main"}': 3600,
        'barkeep_last_backup_size_bytes{server="main"}': 52_428_800,
        'barkeep_backups{server="main",status="DONE"}': 2,
        'barkeep_backups{server="main",status="FAILED"}': 1,
        'barkeep_wal_archived_files{server="main"}': 42,
        'barkeep_wal_archived_bytes{server="main"}': 123_456,
        'barkeep_archive_lag_seconds{server="main"}': 60,
        'barkeep_wal_incoming_files{server="main"}': 3,
        'barkeep_errors_files{server="main"}': 2,
        'barkeep_receiver_state{server="main",state="running"}': 1,
        'barkeep_receiver_state{server="main",state="restarting"}': 0,
        'barkeep_receiver_state{server="main",state="stopped"}': 0,
        'barkeep_receiver_state{server="main",state="off"}': 0,
        'barkeep_receiver_restarts{server="main"}': 2,
        'barkeep_receiver_lag_bytes{server="main"}': 8192,
        'barkeep_check_ok{server="main",check="PostgreSQL"}': 1,
        'barkeep_check_ok{server="main",check="WAL archive"}': 0,
      },
    );
  });

  it('leaves out what is not known rather than reporting 0', async () => {
    const text = await new ServeMetrics().render([
      statusDocument('new', {
        backups: { last: null, by_status: {} },
        wal: { archive_lag_seconds: null },
        receiver: { wanted: false, state: 'off', pid: null, lag_bytes: null },
      }),
    ]);
    const values = samples(text);
    for (const absent of [
      'barkeep_last_backup_age_seconds{server="new"}',
      'barkeep_last_backup_size_bytes{server="new"}',
      'barkeep_archive_lag_seconds{server="new"}',
      'barkeep_receiver_lag_bytes{server="new"}',
    ])
      assert.ok(!values.has(absent), absent);
    assert.equal(values.get('barkeep_receiver_state{server="new",state="off"}'), 1);
  });

  it('records command durations in a histogram, and forgets servers no longer configured', async () => {
    const metrics = new ServeMetrics();
    metrics.observe('main', 'backup', 42, true);
    metrics.observe('main', 'archive-wal', 0.02, true);
    metrics.observe('main', 'archive-wal', 0.3, false);
    const first = samples(await metrics.render([statusDocument('main'), statusDocument('old')]));
    const series = (command: string, outcome: string, suffix: string, le?: string) =>
      `barkeep_command_duration_seconds_${suffix}{${le ? `le="${le}",` : ''}server="main",command="${command}",outcome="${outcome}"}`;
    assert.equal(first.get(series('backup', 'ok', 'count')), 1);
    assert.equal(first.get(series('backup', 'ok', 'sum')), 42);
    assert.equal(first.get(series('backup', 'ok', 'bucket', '30')), 0);
    assert.equal(first.get(series('backup', 'ok', 'bucket', '60')), 1);
    assert.equal(first.get(series('archive-wal', 'ok', 'bucket', '0.05')), 1);
    assert.equal(first.get(series('archive-wal', 'failed', 'count')), 1);
    assert.ok(first.has('barkeep_wal_archived_files{server="old"}'));

    // After a reload without server "old", its gauges go; the histogram keeps counting.
    const second = samples(await metrics.render([statusDocument('main')]));
    assert.ok(![...second.keys()].some((key) => key.includes('server="old"')));
    assert.equal(second.get(series('backup', 'ok', 'count')), 1);
  });

  it('keeps each instance on its own registry', async () => {
    const one = new ServeMetrics();
    const two = new ServeMetrics();
    one.observe('main', 'backup', 1, true);
    const text = await two.render([]);
    assert.ok(!text.includes('server="main"'), text);
  });
});
