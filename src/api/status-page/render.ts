/**
 * The status page's main content as HTML, rendered on the server from the `StatusView`: per
 * cluster the brokers (each with its utilization trend and, under "detail", bytes in and out,
 * capacity, handlers and partitions), the consumer groups (status, lag, lag in seconds, lag
 * trend; each linking to its partitions), the busiest clients; then the firing alerts and the
 * recent quota decisions. Pure: a view in, HTML out. The page's script only fetches the page
 * again and swaps this content in.
 */
import { formatCount, formatPercent, formatRate, formatSeconds, formatTime, formatWindow } from './format.ts';
import { storedLabelValue } from '../../store/labels.ts';
import { href, text } from './html.ts';
import type { AlertStatus, BrokerStatus, ClientStatus, ClusterGroups, ClusterStatus, ConsumerGroupStatus, DecisionStatus, StatusView } from './model.ts';
import { sparkline } from './sparkline.ts';

/** The sparklines' frame, ms. */
interface Frame {
  readonly from: number;
  readonly to: number;
  readonly stepMs: number;
}

/** Group statuses in the order the counts are written, worst first. */
const STATUS_ORDER = ['ERR', 'WARN', 'OK', 'NOTFOUND'];

/** `updated <time>`, with the instant in `data-at`. */
export function updatedLine(at: string): string {
  return `<p id="updated" aria-live="polite" data-at="${text(at)}">updated <time datetime="${text(at)}">${formatTime(Date.parse(at))}</time></p>`;
}

/** A group status as a badge; '' is `unknown`. */
export function statusBadge(status: string, role?: string): string {
  const name = status === '' ? 'unknown' : status;
  return `<span class="badge status-${text(name)}"${role === undefined ? '' : ` data-role="${role}"`}>${text(name)}</span>`;
}

/** Counts by status: `1 ERR, 2 OK`. */
export function statusCounts(byStatus: Readonly<Record<string, number>>): string {
  const names = [...STATUS_ORDER, ...Object.keys(byStatus).filter((s) => !STATUS_ORDER.includes(s)).sort()];
  return names.filter((s) => (byStatus[s] ?? 0) > 0).map((s) => `${formatCount(byStatus[s]!)} ${s === '' ? 'unknown' : s}`).join(', ');
}

function brokerCard(cluster: string, b: BrokerStatus, frame: Frame): string {
  const gapMs = frame.stepMs * 1.5;
  const of = (rate: number | null, capacity: number | null) => `${rate === null ? 'n/a' : formatRate(rate)}${capacity === null ? '' : ` of ${formatRate(capacity)}`}`;
  const count = (n: number | null) => (n === null ? 'n/a' : formatCount(n));
  return `<div class="card broker" data-broker="${text(b.id)}">`
    + `<div class="head"><span class="name">broker ${text(b.id)} </span><span class="${b.up ? 'up' : 'down'}">${b.up ? 'up' : 'down'}</span><span class="muted"> · ${formatPercent(b.utilization)}</span></div>`
    + sparkline(b.series, { label: `broker ${b.id} utilization`, from: frame.from, to: frame.to, format: formatPercent, gapMs })
    + `<details data-key="${text(JSON.stringify(['broker', cluster, b.id]))}"><summary>detail</summary>`
    + `<dl class="facts">`
    + `<dt>bytes in</dt><dd data-role="bytes-in">${of(b.bytesInPerSec, b.capacityIn)}</dd>`
    + `<dt>bytes out</dt><dd data-role="bytes-out">${of(b.bytesOutPerSec, b.capacityOut)}</dd>`
    + `<dt>request handlers busy</dt><dd>${formatPercent(b.handlerBusy)}</dd>`
    + `<dt>partitions led</dt><dd>${count(b.leaders)}</dd><dt>replicas</dt><dd>${count(b.replicas)}</dd>`
    + `</dl>`
    + `<p class="spark-title">bytes in (clients and replication)</p>${sparkline(b.bytesIn, { label: `broker ${b.id} bytes in`, from: frame.from, to: frame.to, format: formatRate, gapMs })}`
    + `<p class="spark-title">bytes out (clients and replication)</p>${sparkline(b.bytesOut, { label: `broker ${b.id} bytes out`, from: frame.from, to: frame.to, format: formatRate, gapMs })}`
    + `</details></div>`;
}

/**
 * The link to a group's page. Names travel in the store's reversible form (storedLabelValue),
 * which writes NUL and lone surrogates in ASCII: a lone surrogate has no UTF-8 form of its own
 * and would otherwise arrive as U+FFFD, naming another group.
 */
export function groupHref(cluster: string, group: string): string {
  return href('/groups', { cluster: storedLabelValue(cluster), group: storedLabelValue(group) });
}

/** A group's name cell: its link, and when it was last seen if the newest collection did not list it. */
export function groupName(cluster: string, g: ConsumerGroupStatus): string {
  const gone = g.current ? '' : ` <span class="muted gone">gone, last seen ${formatTime(Date.parse(g.seenAt))}</span>`;
  return `<a href="${groupHref(cluster, g.name)}">${text(g.name)}</a>${gone}`;
}

function groupRow(cluster: string, g: ConsumerGroupStatus, frame: Frame): string {
  return `<tr class="group${g.current ? '' : ' gone'}" data-group="${text(g.name)}">`
    + `<td class="name">${groupName(cluster, g)}</td>`
    + `<td class="status">${statusBadge(g.status)}</td>`
    + `<td class="num members">${g.members === null ? 'n/a' : formatCount(g.members)}</td>`
    + `<td class="num lag"${g.lag === null ? '' : ` data-value="${g.lag}"`}>${formatCount(g.lag)}</td>`
    + `<td class="num lag-seconds"${g.lagSeconds === null ? '' : ` data-value="${g.lagSeconds}"`}>${formatSeconds(g.lagSeconds)}</td>`
    + `<td class="trend">${sparkline(g.series, { label: `${g.name} lag`, from: frame.from, to: frame.to, format: formatCount })}</td>`
    + `</tr>`;
}

function groupsSection(cluster: string, groups: ClusterGroups, frame: Frame, window: string): string {
  if (groups.total === 0) return `<p class="muted" data-role="no-groups">no consumer groups seen in the last ${window}</p>`;
  const more = groups.shown.length < groups.total ? `<p class="muted">the ${formatCount(groups.shown.length)} worst of ${formatCount(groups.total)} groups</p>` : '';
  return `<table class="groups"><thead><tr><th>group</th><th>status</th><th class="num">members</th><th class="num">lag (messages)</th><th class="num">lag (time)</th><th>lag, last ${window}</th></tr></thead>`
    + `<tbody>${groups.shown.map((g) => groupRow(cluster, g, frame)).join('')}</tbody></table>${more}`;
}

function clientCard(c: ClientStatus, frame: Frame): string {
  const throttled = c.throttleMs > 0 ? `<span class="throttled"> · throttled ${Math.round(c.throttleMs)} ms</span>` : '';
  return `<div class="card client" data-client="${text(c.clientId)}" data-direction="${c.direction}">`
    + `<div class="head"><span class="name">${text(c.clientId || '(no client id)')} </span><span class="muted">${c.direction} · ${formatRate(c.bytesPerSec)}</span>${throttled}</div>`
    + sparkline(c.series, { label: `${c.clientId} ${c.direction} rate`, from: frame.from, to: frame.to, format: formatRate, gapMs: frame.stepMs * 1.5 })
    + `</div>`;
}

function clusterArticle(cluster: ClusterStatus, frame: Frame, windowSeconds: number): string {
  const window = formatWindow(windowSeconds);
  const allUp = cluster.brokersUp === cluster.brokers.length;
  const groups = cluster.groups.total === 0 ? '' : ` · <span data-role="groups-summary">${formatCount(cluster.groups.total)} consumer group${cluster.groups.total === 1 ? '' : 's'}: ${statusCounts(cluster.groups.byStatus)}</span>`;
  const t = cluster.throttle;
  const loop = t === null ? '' : ` · quota loop (${text(t.mode)}): <strong data-role="throttle-state">${text(t.state)}</strong><span class="muted"> — ${text(t.reason)}</span>`;
  // What the last round did, or why it did nothing.
  const round = t === null ? '' : `<p class="round" data-role="throttle-explanation">Last round: ${text(t.explanation)}</p>`;
  const clients = cluster.topClients.length === 0 ? '<p class="muted">no client traffic yet</p>' : cluster.topClients.map((c) => clientCard(c, frame)).join('');
  return `<article class="cluster" data-cluster="${text(cluster.name)}">`
    + `<h2>Cluster ${text(cluster.name)}</h2>`
    + `<p class="summary"><span class="${allUp ? 'up' : 'down'}" data-role="brokers-up">${cluster.brokersUp}/${cluster.brokers.length} brokers up</span>${groups}${loop}</p>${round}`
    + `<h3>Brokers: utilization, last ${window}</h3><div class="grid">${cluster.brokers.map((b) => brokerCard(cluster.name, b, frame)).join('')}</div>`
    + `<h3>Consumer groups</h3>${groupsSection(cluster.name, cluster.groups, frame, window)}`
    + `<h3>Top clients</h3><div class="grid">${clients}</div>`
    + `</article>`;
}

function alertItem(a: AlertStatus): string {
  return `<li class="alert ${text(a.severity)}${a.muted ? ' muted' : ''}" data-alert="${text(a.name)}">`
    + `<strong>${text(a.name)}</strong> (${text(a.severity || 'no severity')}) since ${formatTime(Date.parse(a.activeAt))}: ${text(a.summary)}`
    + `${a.muted ? '<span> [silenced or inhibited]</span>' : ''}</li>`;
}

function decisionRow(d: DecisionStatus): string {
  return `<tr class="decision ${text(d.status)}" data-decision="${d.id}">`
    + `<td>${formatTime(Date.parse(d.at))}</td><td>${text(d.cluster)}</td><td class="entity">${text(d.entity)}</td><td>${text(d.quota)}</td>`
    + `<td>${formatRate(d.oldValue)} → ${formatRate(d.newValue)}</td>`
    + `<td class="status">${text(d.by === null ? d.status : `${d.status} by ${d.by}`)}</td><td class="reason">${text(d.reason)}</td></tr>`;
}

/** The main page's content (what goes in `<main>`). */
export function statusMain(view: StatusView): string {
  const to = Date.parse(view.at);
  const frame: Frame = { from: to - view.windowSeconds * 1000, to, stepMs: view.stepSeconds * 1000 };
  const alerts = view.alerts.firing.map(alertItem);
  if (alerts.length === 0) alerts.push('<li class="muted none">none</li>');
  if (view.alerts.pending > 0) alerts.push(`<li class="muted">${view.alerts.pending} pending</li>`);
  const decisions = view.decisions.length === 0 ? '<tr class="none"><td class="muted" colspan="7">none yet</td></tr>' : view.decisions.map(decisionRow).join('');
  return `<section id="clusters" aria-label="Clusters">${view.clusters.map((c) => clusterArticle(c, frame, view.windowSeconds)).join('')}</section>`
    + `<section aria-labelledby="alerts-title"><h2 id="alerts-title">Firing alerts</h2><ul id="alerts">${alerts.join('')}</ul></section>`
    + `<section aria-labelledby="decisions-title"><h2 id="decisions-title">Recent quota decisions</h2><table id="decisions">`
    + `<thead><tr><th>time</th><th>cluster</th><th>entity</th><th>quota</th><th>change</th><th>status</th><th>reason</th></tr></thead>`
    + `<tbody>${decisions}</tbody></table></section>`;
}
