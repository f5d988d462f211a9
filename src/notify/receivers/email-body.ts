/**
 * The text and HTML bodies of a notification email: one section per alert with its status,
 * labels, annotations, start (and end, once resolved) and a link to its source.
 */
import type { NotifiedAlert, Notification } from '../types.ts';

/** The plain-text body. */
export function textBody(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing');
  const resolved = n.alerts.filter((a) => a.status === 'resolved');
  const lines: string[] = [];
  const section = (title: string, alerts: readonly NotifiedAlert[]): void => {
    if (alerts.length === 0) return;
    lines.push(`${title} (${alerts.length})`, '');
    for (const a of alerts) {
      lines.push(`[${a.status.toUpperCase()}] ${a.labels.alertname ?? a.fingerprint}`);
      lines.push('Labels:', ...Object.entries(a.labels).map(([k, v]) => `  ${k} = ${v}`));
      if (Object.keys(a.annotations).length > 0) lines.push('Annotations:', ...Object.entries(a.annotations).map(([k, v]) => `  ${k} = ${v}`));
      lines.push(`Started: ${a.startsAt}`);
      if (a.status === 'resolved') lines.push(`Ended: ${a.endsAt}`);
      if (a.generatorURL !== '') lines.push(`Source: ${a.generatorURL}`);
      lines.push('');
    }
  };
  section('Firing', firing);
  section('Resolved', resolved);
  if (n.externalURL !== '') lines.push(`Sent by Sluice: ${n.externalURL}`);
  return lines.join('\n');
}

/** The HTML body: the same content as `textBody`, escaped, with links. */
export function htmlBody(n: Notification): string {
  const rows = (values: Readonly<Record<string, string>>): string =>
    Object.entries(values).map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('');
  const alerts = n.alerts
    .map((a) => {
      const color = a.status === 'firing' ? '#d9534f' : '#5cb85c';
      const link = a.generatorURL === '' ? '' : `<p><a href="${escapeHtml(a.generatorURL)}">Source</a></p>`;
      const ended = a.status === 'resolved' ? `<p>Ended: ${escapeHtml(a.endsAt)}</p>` : '';
      const annotations = Object.keys(a.annotations).length > 0 ? `<h4>Annotations</h4><table>${rows(a.annotations)}</table>` : '';
      return `<div><h3 style="color:${color}">[${a.status.toUpperCase()}] ${escapeHtml(a.labels.alertname ?? a.fingerprint)}</h3>` +
        `<h4>Labels</h4><table>${rows(a.labels)}</table>${annotations}<p>Started: ${escapeHtml(a.startsAt)}</p>${ended}${link}</div>`;
    })
    .join('<hr>');
  const footer = n.externalURL === '' ? '' : `<p>Sent by <a href="${escapeHtml(n.externalURL)}">Sluice</a></p>`;
  return `<!doctype html><html><body>${alerts}${footer}</body></html>`;
}

/** Escapes the five characters HTML gives meaning to. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
