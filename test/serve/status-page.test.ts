import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderStatusPage } from '../../src/serve/status-page.ts';
import { statusDocument } from './status-document.ts';

const now = new Date('2026-11-24T03:00:00Z');

/** The card of one server in the page. */
function card(page: string, name: string): string {
  const match = new RegExp(`<section [^>]*data-server="${name}">[\\s\\S]*?</section>`).exec(page);
  assert.ok(match, `no card for ${name} in:\n${page}`);
  return match[0];
}

describe('renderStatusPage', () => {
  it('shows one card per server: last backup, WAL, receiver, next backup', () => {
    const page = renderStatusPage([statusDocument('main')], now);
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /1 server\(s\), 2026-11-24T03:00:00\.000Z/);
    const main = card(page, 'main');
    assert.match(main, /class="server healthy"/);
    assert.match(main, /<h2>main <span class="badge">OK<\/span><\/h2>/);
    assert.match(main, /Last backup<\/th><td>20261124T020000, 60 min ago, 50\.0 MiB</);
    assert.match(main, /Backups<\/th><td>2 DONE, 1 FAILED</);
    assert.match(main, /Next backup<\/th><td>2026-11-25T02:00:00\.000Z</);
    assert.match(main, /WAL<\/th><td>42 archived \(120\.6 KiB\), newest 60 s ago, 3 waiting/);
    assert.match(main, /Receiver<\/th><td>running \(PID 1234\), lag 8\.0 KiB, 2 restart\(s\)</);
    assert.match(main, /all 2 checks OK/);
    // Self-contained: no script, no resource from elsewhere.
    assert.doesNotMatch(page, /<script|<link|src=/);
  });

  it('marks a server with a failing check and lists the failing checks with their hints', () => {
    const page = renderStatusPage(
      [
        statusDocument('main'),
        statusDocument('down', {
          checks: [
            { name: 'PostgreSQL', ok: false, hint: 'connection refused' },
            { name: 'WAL archive', ok: true, hint: null },
          ],
          backups: { last: null, by_status: {}, running: true },
          receiver: { wanted: false },
        }),
      ],
      now,
    );
    const down = card(page, 'down');
    assert.match(down, /class="server unhealthy"/);
    assert.match(down, /<span class="badge">FAILING<\/span>/);
    assert.match(
      down,
      /<li class="check-failed"><b>PostgreSQL<\/b>: FAILED connection refused<\/li>/,
    );
    assert.doesNotMatch(down, /WAL archive<\/b>/);
    assert.match(down, /Last backup<\/th><td>none</);
    assert.match(down, /Next backup<\/th><td>running now</);
    assert.match(down, /Receiver<\/th><td>not configured</);
    assert.match(card(page, 'main'), /class="server healthy"/);
  });

  it('says when a server has not been checked yet', () => {
    const page = renderStatusPage([statusDocument('new', { checks: [] })], now);
    assert.match(card(page, 'new'), /class="server unhealthy"[\s\S]*UNKNOWN[\s\S]*not checked yet/);
  });

  it('escapes what comes from the configuration and the checks', () => {
    const page = renderStatusPage(
      [
        statusDocument('main', {
          description: '<script>alert(1)</script>',
          checks: [{ name: 'x', ok: false, hint: `"it's" <b>&` }],
        }),
      ],
      now,
    );
    assert.doesNotMatch(page, /<script>/);
    assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(page, /FAILED &quot;it&#39;s&quot; &lt;b&gt;&amp;/);
  });
});
