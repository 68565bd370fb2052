import type { ServerStatusDocument } from './serve-status.ts';

const escapeHtml = (text: unknown) =>
  String(text ?? '-').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function age(seconds: number | null): string {
  if (seconds === null) return 'never';
  if (seconds < 120) return `${Math.round(seconds)} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
}

function bytes(value: number | null): string {
  if (value === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function serverCard(doc: ServerStatusDocument): string {
  const failing = doc.checks.filter((check) => !check.ok);
  const healthy = failing.length === 0 && doc.checks.length > 0;
  const receiver = doc.receiver.wanted
    ? `${doc.receiver.state}${doc.receiver.pid ? ` (PID ${doc.receiver.pid})` : ''}, lag ${bytes(doc.receiver.lag_bytes)}, ${doc.receiver.restarts} restart(s)`
    : 'not configured';
  const rows: [string, string][] = [
    [
      'Last backup',
      doc.backups.last
        ? `${escapeHtml(doc.backups.last.backup_id)}, ${age(doc.backups.last.age_seconds)}, ${bytes(doc.backups.last.size_bytes)}`
        : 'none',
    ],
    [
      'Backups',
      Object.entries(doc.backups.by_status)
        .map(([status, count]) => `${count} ${escapeHtml(status)}`)
        .join(', ') || 'none',
    ],
    [
      'Next backup',
      doc.backups.running
        ? 'running now'
        : escapeHtml(doc.backups.next_scheduled ?? 'not scheduled'),
    ],
    [
      'WAL',
      `${doc.wal.archived_count} archived (${bytes(doc.wal.archived_bytes)}), newest ${age(doc.wal.archive_lag_seconds)}, ${doc.wal.waiting_in_incoming} waiting in incoming/`,
    ],
    ['Receiver', escapeHtml(receiver)],
    ['Errors', `${doc.wal.errors_count} file(s) in errors/`],
  ];
  const checks = failing.length
    ? `<ul class="failing">${failing.map((check) => `<li class="check-failed"><b>${escapeHtml(check.name)}</b>: FAILED ${escapeHtml(check.hint ?? '')}</li>`).join('')}</ul>`
    : `<p class="ok">${doc.checks.length ? `all ${doc.checks.length} checks OK` : 'not checked yet'}</p>`;
  return `<section class="server ${healthy ? 'healthy' : 'unhealthy'}" data-server="${escapeHtml(doc.name)}">
<h2>${escapeHtml(doc.name)} <span class="badge">${healthy ? 'OK' : failing.length ? 'FAILING' : 'UNKNOWN'}</span></h2>
<p class="description">${escapeHtml(doc.description ?? '')}</p>
<table>${rows.map(([label, value]) => `<tr><th>${label}</th><td>${value}</td></tr>`).join('')}</table>
<h3>Checks${doc.checked_at ? ` <small>(${escapeHtml(doc.checked_at)})</small>` : ''}</h3>
${checks}
</section>`;
}

/**
 * The status page of `serve`: one card per server with its last backup, WAL, receiver and the
 * checks that fail, readable at a glance; self-contained (no script, no external resource) and
 * refreshed by the browser every 10 s.
 */
export function renderStatusPage(documents: readonly ServerStatusDocument[], now: Date): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>barkeep status</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;background:#fafafa;color:#222}
.server{background:#fff;border:1px solid #ccc;border-left:8px solid #999;border-radius:6px;padding:1rem 1.5rem;margin-bottom:1.5rem}
.server.healthy{border-left-color:#2a8a2a}.server.unhealthy{border-left-color:#c62828}
.badge{font-size:.8rem;padding:.1rem .5rem;border-radius:4px;background:#eee}
.unhealthy .badge{background:#c62828;color:#fff}.healthy .badge{background:#2a8a2a;color:#fff}
th{text-align:left;padding-right:1.5rem;font-weight:600;vertical-align:top}
.failing{color:#c62828}.ok{color:#2a8a2a}
</style></head>
<body><h1>barkeep</h1><p>${documents.length} server(s), ${escapeHtml(now.toISOString())}. <a href="/metrics">metrics</a> · <a href="/api/status">JSON</a></p>
${documents.map(serverCard).join('\n')}
</body></html>
`;
}
