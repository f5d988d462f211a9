// The status page's script: fetches /api/v1/status every few seconds and draws it with the DOM
// (text is always set as text, never parsed as HTML) and sparklines as inline SVG. No build step.
const REFRESH_MS = 3000;
const SVG = 'http://www.w3.org/2000/svg';

/** An element with a class and text. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Bytes per second for people: 1.2 MiB/s. */
export function formatRate(bytesPerSec) {
  if (bytesPerSec === null || bytesPerSec === undefined) return 'unset';
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let value = bytesPerSec;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

function percent(x) {
  return x === null ? 'n/a' : `${Math.round(x * 100)}%`;
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString();
}

/** A sparkline of [ts, value] points over [from, to], values from 0 to at least `floor`. */
function sparkline(points, from, to, floor, label) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 200 36');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const top = Math.max(floor, ...points.map((p) => p[1]));
  const x = (t) => (to === from ? 200 : ((t - from) / (to - from)) * 200);
  const y = (v) => 34 - (top === 0 ? 0 : (v / top) * 32);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' '));
  svg.append(line);
  return svg;
}

function renderCluster(cluster, windowSeconds, at) {
  const box = el('article', 'cluster');
  box.dataset.cluster = cluster.name;
  box.append(el('h2', '', `Cluster ${cluster.name}`));
  const summary = el('p', 'summary');
  const brokers = el('span', cluster.brokersUp === cluster.brokers.length ? 'up' : 'down', `${cluster.brokersUp}/${cluster.brokers.length} brokers up`);
  brokers.dataset.role = 'brokers-up';
  summary.append(brokers);
  if (cluster.throttle !== null) {
    summary.append(document.createTextNode(` · quota loop (${cluster.throttle.mode}): `));
    const state = el('strong', '', cluster.throttle.state);
    state.dataset.role = 'throttle-state';
    summary.append(state, el('span', 'muted', ` — ${cluster.throttle.reason}`));
  }
  box.append(summary);
  if (cluster.throttle !== null) {
    // What the last round did, or why it did nothing.
    const round = el('p', 'round', `Last round: ${cluster.throttle.explanation}`);
    round.dataset.role = 'throttle-explanation';
    box.append(round);
  }

  const to = Date.parse(at);
  const from = to - windowSeconds * 1000;
  box.append(el('h3', '', `Broker utilization, last ${Math.round(windowSeconds / 60)} min`));
  const grid = el('div', 'grid');
  for (const b of cluster.brokers) {
    const card = el('div', 'card broker');
    card.dataset.broker = b.id;
    const head = el('div');
    head.append(el('span', 'name', `broker ${b.id} `), el('span', b.up ? 'up' : 'down', b.up ? 'up' : 'down'), el('span', 'muted', ` · ${percent(b.utilization)}`));
    card.append(head, sparkline(b.series, from, to, 1, `broker ${b.id} utilization`));
    grid.append(card);
  }
  box.append(grid);

  box.append(el('h3', '', 'Top clients'));
  const clients = el('div', 'grid');
  if (cluster.topClients.length === 0) clients.append(el('p', 'muted', 'no client traffic yet'));
  for (const c of cluster.topClients) {
    const card = el('div', 'card client');
    card.dataset.client = c.clientId;
    card.dataset.direction = c.direction;
    const head = el('div');
    head.append(el('span', 'name', `${c.clientId || '(no client id)'} `), el('span', 'muted', `${c.direction} · ${formatRate(c.bytesPerSec)}`));
    if (c.throttleMs > 0) head.append(el('span', 'throttled', ` · throttled ${Math.round(c.throttleMs)} ms`));
    card.append(head, sparkline(c.series, from, to, 0, `${c.clientId} ${c.direction} rate`));
    clients.append(card);
  }
  box.append(clients);
  return box;
}

function renderAlerts(alerts) {
  const list = document.getElementById('alerts');
  const items = alerts.firing.map((a) => {
    const li = el('li', `alert ${a.severity}${a.muted ? ' muted' : ''}`);
    li.dataset.alert = a.name;
    li.append(el('strong', '', a.name), document.createTextNode(` (${a.severity || 'no severity'}) since ${clock(a.activeAt)}: ${a.summary}`));
    if (a.muted) li.append(el('span', '', ' [silenced or inhibited]'));
    return li;
  });
  if (items.length === 0) items.push(el('li', 'muted none', 'none'));
  if (alerts.pending > 0) items.push(el('li', 'muted', `${alerts.pending} pending`));
  list.replaceChildren(...items);
}

function renderDecisions(decisions) {
  const body = document.querySelector('#decisions tbody');
  const rows = decisions.map((d) => {
    const tr = el('tr', `decision ${d.status}`);
    tr.dataset.decision = String(d.id);
    const change = `${formatRate(d.oldValue)} → ${formatRate(d.newValue)}`;
    tr.append(el('td', '', clock(d.at)), el('td', '', d.cluster), el('td', 'entity', d.entity), el('td', '', d.quota), el('td', '', change),
      el('td', 'status', d.by === null ? d.status : `${d.status} by ${d.by}`), el('td', 'reason', d.reason));
    return tr;
  });
  if (rows.length === 0) {
    const tr = el('tr', 'none');
    const td = el('td', 'muted', 'none yet');
    td.colSpan = 7;
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

/** Draws one status document. */
export function render(view) {
  document.getElementById('clusters').replaceChildren(...view.clusters.map((c) => renderCluster(c, view.windowSeconds, view.at)));
  renderAlerts(view.alerts);
  renderDecisions(view.decisions);
  const updated = document.getElementById('updated');
  updated.textContent = `updated ${clock(view.at)}`;
  updated.dataset.at = view.at;
}

async function refresh() {
  try {
    const res = await fetch('/api/v1/status', { cache: 'no-store' });
    if (!res.ok) throw new Error(`status ${res.status}`);
    render(await res.json());
  } catch (err) {
    document.getElementById('updated').textContent = `cannot reach Sluice (${err.message}); retrying`;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
