import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ServerLayout, serverLayout } from '../../src/catalog/server-layout.ts';
import {
  archiveCommandTargetCheck,
  INCOMING_STALE_MS,
  incomingProcessingCheck,
  walShipping,
} from '../../src/check/archive-checks.ts';

let home: string;
let layout: ServerLayout;
before(async () => {
  home = await mkdtemp(join(tmpdir(), 'barkeep-archive-checks-'));
  layout = serverLayout('pg', { barman_home: home });
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('walShipping', () => {
  it('tells the three forms of archive_command apart', () => {
    assert.equal(walShipping('barkeep put-wal pg %p', layout), 'put-wal');
    assert.equal(walShipping('/usr/bin/barkeep -c /etc/b.conf put-wal pg %p', layout), 'put-wal');
    assert.equal(
      walShipping('barman-wal-archive -U barman backup pg %p', layout),
      'barman-wal-archive',
    );
    assert.equal(
      walShipping(`rsync -a %p barman@backup:${layout.incoming}/%f`, layout),
      'incoming',
    );
    assert.equal(walShipping(`cp %p ${layout.incoming}/%f`, layout), 'incoming');
    assert.equal(walShipping('cp %p /somewhere/else/%f', layout), undefined);
    assert.equal(walShipping(undefined, layout), undefined);
  });
});

describe('archiveCommandTargetCheck', () => {
  it('passes naming the form, so the operator sees which path is live', () => {
    const rsync = archiveCommandTargetCheck(`rsync -a %p b@h:${layout.incoming}/%f`, layout);
    assert.equal(rsync.ok, true);
    assert.match(rsync.hint!, /^copied into incoming\/: archive-wal, cron or serve/);
    assert.match(archiveCommandTargetCheck('barkeep put-wal pg %p', layout).hint!, /^put-wal: /);
    assert.match(
      archiveCommandTargetCheck('barman-wal-archive backup pg %p', layout).hint!,
      /tar stream/,
    );
  });

  it('fails naming both accepted forms when the command ships elsewhere', () => {
    const result = archiveCommandTargetCheck('cp %p /mnt/nfs/%f', layout);
    assert.equal(result.ok, false);
    assert.ok(result.hint!.includes("'barkeep put-wal pg %p'"));
    assert.ok(result.hint!.includes(layout.incoming));
  });
});

describe('incomingProcessingCheck', () => {
  const now = new Date('2026-11-24T12:00:00Z');

  it('passes with no incoming/ or only fresh files', async () => {
    assert.equal((await incomingProcessingCheck(layout, now)).ok, true);
    await mkdir(layout.incoming, { recursive: true });
    const fresh = join(layout.incoming, '000000010000000000000003');
    await writeFile(fresh, 'x');
    const recent = new Date(now.getTime() - 60_000);
    await utimes(fresh, recent, recent);
    await writeFile(join(layout.incoming, 'notes.txt'), 'not WAL');
    const old = new Date(now.getTime() - 2 * INCOMING_STALE_MS);
    await utimes(join(layout.incoming, 'notes.txt'), old, old);
    assert.equal((await incomingProcessingCheck(layout, now)).ok, true);
  });

  it('fails naming the oldest waiting segment and how to get it archived', async () => {
    const stale = join(layout.incoming, '000000010000000000000002');
    await writeFile(stale, 'x');
    const old = new Date(now.getTime() - 12 * 60_000);
    await utimes(stale, old, old);
    const result = await incomingProcessingCheck(layout, now);
    assert.equal(result.ok, false);
    assert.match(result.hint!, /^000000010000000000000002 has waited in .* for 12 minutes; /);
    assert.match(result.hint!, /barkeep cron' every minute/);
  });
});
