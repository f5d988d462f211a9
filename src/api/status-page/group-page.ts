/**
 * A consumer group's page (`/groups?cluster=…&group=…`), rendered on the server from its
 * `GroupDetailView`: the group's status, members, lag and lag in seconds with their trends, and
 * a table of its partitions (status, committed and end offsets, lag, lag in seconds). Pure: a
 * view in, HTML out; the group name and topics are escaped.
 */
import { formatCount, formatSeconds, formatWindow } from './format.ts';
import { text } from './html.ts';
import type { GroupDetailView, PartitionView } from './model.ts';
import { groupName, statusBadge } from './render.ts';
import { sparkline } from './sparkline.ts';

/** The page's title: `Sluice · group billing on east`. */
export function groupTitle(cluster: string, group: string): string {
  return `Sluice · group ${group} on ${cluster}`;
}

const BACK = '<p class="back"><a href="/">← all clusters</a></p>';

function partitionRow(p: PartitionView): string {
  const num = (n: number | null, cls: string) => `<td class="num ${cls}"${n === null ? '' : ` data-value="${n}"`}>${formatCount(n)}</td>`;
  return `<tr class="partition" data-topic="${text(p.topic)}" data-partition="${p.partition}">`
    + `<td class="topic">${text(p.topic)}</td><td class="num">${p.partition}</td><td class="status">${statusBadge(p.status)}</td>`
    + num(p.currentOffset, 'current') + num(p.endOffset, 'end') + num(p.lag, 'lag')
    + `<td class="num lag-seconds"${p.lagSeconds === null ? '' : ` data-value="${p.lagSeconds}"`}>${formatSeconds(p.lagSeconds)}</td></tr>`;
}

/** The group page's content (what goes in `<main>`). */
export function groupMain(view: GroupDetailView): string {
  const g = view.group;
  if (g === null) return groupMissing(view.cluster, view.name);
  const to = Date.parse(view.at);
  const from = to - view.windowSeconds * 1000;
  const window = formatWindow(view.windowSeconds);
  const members = g.members === null ? 'members n/a' : `${formatCount(g.members)} member${g.members === 1 ? '' : 's'}`;
  const partitions = view.partitions.length === 0
    ? '<p class="muted" data-role="no-partitions">no committed partitions in its newest collection</p>'
    : `<table class="partitions"><thead><tr><th>topic</th><th class="num">partition</th><th>status</th><th class="num">current offset</th><th class="num">end offset</th><th class="num">lag (messages)</th><th class="num">lag (time)</th></tr></thead>`
      + `<tbody>${view.partitions.map(partitionRow).join('')}</tbody></table>`
      + '<p class="muted note">Current offset: the committed offset, read as end offset − lag of the same collection.</p>';
  return BACK
    + `<article class="group-detail" data-cluster="${text(view.cluster)}" data-group="${text(g.name)}">`
    + `<h2>Consumer group ${groupName(view.cluster, g)} on cluster ${text(view.cluster)}</h2>`
    + `<p class="summary">${statusBadge(g.status, 'group-status')} · ${members} · lag <span data-role="group-lag">${formatCount(g.lag)}</span> messages`
    + ` · <span data-role="group-lag-seconds">${formatSeconds(g.lagSeconds)}</span> behind</p>`
    + `<div class="grid">`
    + `<div class="card"><p class="spark-title">lag (messages), last ${window}</p>${sparkline(g.series, { label: `${g.name} lag`, from, to, format: formatCount })}</div>`
    + `<div class="card"><p class="spark-title">lag (time), last ${window}</p>${sparkline(view.lagSecondsSeries, { label: `${g.name} lag in seconds`, from, to, format: formatSeconds })}</div>`
    + `</div><h3>Partitions</h3>${partitions}</article>`;
}

/** The content of a group page for a group that is not there. */
function groupMissing(cluster: string, group: string): string {
  return BACK + `<p class="missing" data-role="group-missing">No consumer group ${text(JSON.stringify(group))} on cluster ${text(JSON.stringify(cluster))} was collected within the page's window.</p>`;
}
