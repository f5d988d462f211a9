/**
 * The status page over a real store (PGlite, or PostgreSQL at DATABASE_URL): a 3-broker cluster's
 * series (broker 2 down for the last two minutes), clients, consumer groups with their lag and
 * Burrow statuses as the topic collector writes them, quota decisions in the audit store and
 * firing alerts. GET /api/v1/status and the server-rendered pages (`/` and a group's page) are
 * checked value by value, untrusted names escaped; then headless Chromium reads the page with
 * JavaScript off (complete, drill-downs work) and on (the script refreshes it in place).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApi, listenApi } from '../../src/api/server.ts';
import { statusSource, type StatusView } from '../../src/api/status-page/view.ts';
import type { ApiAlert } from '../../src/api/types.ts';
import { GROUP_LAG, GROUP_LAG_SECONDS, GROUP_MAX_LAG_SECONDS, GROUP_STATUS, GROUP_SUM_LAG, PARTITION_STATUS } from '../../src/collect/lag/series.ts';
import { Engine } from '../../src/rules/promql/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import type { Sample } from '../../src/store/types.ts';
import { DecisionStore } from '../../src/throttle/audit.ts';
import { storeLocation } from '../helpers/backends.ts';
import { launchChromium, NO_CHROMIUM } from '../helpers/chromium.ts';
import { timeAt } from '../helpers/clock.ts';
import { DATABASE_URL } from '../store/support.ts';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const STEP = 5_000;
const KIB = 1024;
/** A group name with everything that could break a page: markup, quotes, NUL, a lone surrogate. */
const EVIL = `<script>alert(1)</script>"' \u0000\ud800 x`;
/** How a browser shows it: controls as control pictures, the lone surrogate as U+FFFD. */
const EVIL_SHOWN = `<script>alert(1)</script>"' \u2400\ufffd x`;
/** Burrow's status codes as the lag code writes them. */
const CODE = { NOTFOUND: 0, OK: 1, WARN: 2, ERR: 3, STOP: 4, STALL: 5, REWIND: 6 } as const;

/**
 * Ten minutes of a 3-broker cluster `east`, sampled every 5 s: broker b takes (b + 1) × 100 KiB/s
 * in of a 1 MiB/s capacity with its request handlers 80 % idle, and leads b + 2 partitions;
 * broker 2 stops two minutes before NOW. Producers: etl at 300 KiB/s, web at 50 KiB/s (and at
 * 80 KiB/s under its earlier tags until 150 s before NOW); consumer reports at 120 KiB/s,
 * throttled 250 ms.
 */
function clusterSamples(): Sample[] {
  const out: Sample[] = [];
  const add = (metric: string, labels: Record<string, string>, ts: number, value: number) => out.push({ metric, labels: { cluster: 'east', ...labels }, ts, value });
  for (let t = NOW - 10 * 60_000; t <= NOW; t += STEP) {
    const elapsed = (t - (NOW - 10 * 60_000)) / 1000;
    for (const broker of ['0', '1', '2']) {
      const down = broker === '2' && t > NOW - 2 * 60_000;
      add('sluice_cluster_broker_up', { broker }, t, down ? 0 : 1);
      add('sluice_cluster_broker_leaders', { broker }, t, Number(broker) + 2);
      add('sluice_cluster_broker_replicas', { broker }, t, 6);
      if (down) continue;
      add('kafka_server_brokertopicmetrics_bytesin_total', { broker }, t, (Number(broker) + 1) * 100 * KIB * elapsed);
      add('kafka_server_brokertopicmetrics_replicationbytesin_total', { broker }, t, 0);
      add('kafka_server_brokertopicmetrics_bytesout_total', { broker }, t, 10 * KIB * elapsed);
      add('kafka_server_brokertopicmetrics_replicationbytesout_total', { broker }, t, 0);
      add('kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', { broker }, t, 0.8);
      add('sluice_broker_network_capacity_bytes_per_second', { broker, direction: 'in' }, t, 1024 * KIB);
      add('sluice_broker_network_capacity_bytes_per_second', { broker, direction: 'out' }, t, 1024 * KIB);
    }
    add('sluice_client_produce_byte_rate', { client_id: 'etl' }, t, 300 * KIB);
    add('sluice_client_produce_byte_rate', { client_id: 'web' }, t, 50 * KIB);
    add('sluice_client_produce_byte_rate', { user: 'ANONYMOUS', client_id: 'web' }, t, t < NOW - 150_000 ? 80 * KIB : 0);
    add('sluice_client_fetch_byte_rate', { client_id: 'reports' }, t, 120 * KIB);
    add('sluice_client_produce_throttle_time_ms', { client_id: 'etl' }, t, 0);
    add('sluice_client_fetch_throttle_time_ms', { client_id: 'reports' }, t, 250);
  }
  return out;
}

/** One partition of a group at one collection. */
interface PartitionState { topic: string; partition: number; end: number; lag: number; lagSeconds: number; status: keyof typeof CODE }

/** What the topic collector writes for one group at one collection (src/collect/topics.ts). */
function groupCycle(group: string, ts: number, status: keyof typeof CODE, members: number, partitions: readonly PartitionState[]): Sample[] {
  const out: Sample[] = [];
  const c = { cluster: 'east', group };
  out.push({ metric: 'sluice_consumergroup_members', labels: c, ts, value: members });
  for (const p of partitions) {
    const labels = { ...c, topic: p.topic, partition: String(p.partition) };
    out.push({ metric: 'kafka_partition_latest_offset', labels: { cluster: 'east', topic: p.topic, partition: String(p.partition) }, ts, value: p.end });
    out.push({ metric: GROUP_LAG, labels, ts, value: p.lag }, { metric: GROUP_LAG_SECONDS, labels, ts, value: p.lagSeconds });
    out.push({ metric: PARTITION_STATUS, labels, ts, value: CODE[p.status] });
  }
  if (partitions.length > 0) {
    out.push({ metric: GROUP_SUM_LAG, labels: c, ts, value: partitions.reduce((s, p) => s + p.lag, 0) });
    out.push({ metric: GROUP_MAX_LAG_SECONDS, labels: c, ts, value: Math.max(...partitions.map((p) => p.lagSeconds)) });
  }
  out.push({ metric: GROUP_STATUS, labels: c, ts, value: CODE[status] });
  return out;
}

/**
 * Ten minutes of collections every 10 s, k collections before NOW: billing (ERR, 2 members) lags
 * 400 − k on orders-0 (STOP, 12.5 s behind) and 200 on orders-1 (OK, 3 s): total 600 at NOW;
 * reports (WARN) 50 + 2 × (60 − k) on clicks-0; the evil group (OK) 7 on clicks-0; analytics
 * (OK) caught up on clicks-0; stopped (OK, lag 5) not collected in the last two minutes.
 */
function groupSamples(): Sample[] {
  const out: Sample[] = [];
  for (let k = 60; k >= 0; k--) {
    const ts = NOW - k * 10_000;
    out.push(...groupCycle('billing', ts, 'ERR', 2, [
      { topic: 'orders', partition: 0, end: 1000 - k, lag: 400 - k, lagSeconds: 12.5, status: 'STOP' },
      { topic: 'orders', partition: 1, end: 800, lag: 200, lagSeconds: 3, status: 'OK' },
    ]));
    out.push(...groupCycle('reports', ts, 'WARN', 1, [{ topic: 'clicks', partition: 0, end: 5000, lag: 50 + 2 * (60 - k), lagSeconds: 75, status: 'WARN' }]));
    out.push(...groupCycle(EVIL, ts, 'OK', 1, [{ topic: 'clicks', partition: 0, end: 5000, lag: 7, lagSeconds: 0.4, status: 'OK' }]));
    out.push(...groupCycle('analytics', ts, 'OK', 3, [{ topic: 'clicks', partition: 0, end: 5000, lag: 0, lagSeconds: 0, status: 'OK' }]));
    if (k >= 12) out.push(...groupCycle('stopped', ts, 'OK', 0, [{ topic: 'clicks', partition: 0, end: 5000, lag: 5, lagSeconds: 1, status: 'OK' }]));
  }
  return out;
}

const ALERTS: ApiAlert[] = [
  { labels: { alertname: 'KafkaBrokerDown', cluster: 'east', broker: '2', severity: 'page' }, annotations: { summary: 'Broker 2 of east is down' }, state: 'firing', activeAt: new Date(NOW - 110_000).toISOString(), value: 0, silencedBy: [], inhibitedBy: [] },
  { labels: { alertname: 'KafkaUnderReplicatedPartitions', cluster: 'east', severity: 'warning' }, annotations: { summary: '4 partitions on east are under-replicated' }, state: 'firing', activeAt: new Date(NOW - 100_000).toISOString(), value: 4, silencedBy: [], inhibitedBy: ['KafkaBrokerDown'] },
  { labels: { alertname: 'KafkaConsumerGroupLagGrowing', cluster: 'east', group: 'reports', severity: 'warning' }, annotations: { summary: 'lag grows' }, state: 'pending', activeAt: new Date(NOW - 5_000).toISOString(), value: 900, silencedBy: [], inhibitedBy: [] },
];

let now = NOW;
const location = storeLocation(DATABASE_URL === undefined ? 'pglite' : 'postgres');
let store: Store;
let api: FastifyInstance;
let url: string;

before(async () => {
  store = await openStore(location, { clock: timeAt(() => now), registry: new Registry() });
  await store.writer.write([...clusterSamples(), ...groupSamples()].sort((a, b) => a.ts - b.ts));
  const audit = new DecisionStore(store.db);
  const entity = (name: string) => [{ entityType: 'client-id' as const, entityName: name }];
  const base = { cluster: 'east', mode: 'auto', evidence: {} } as const;
  await audit.record({ ...base, ts: NOW - 60_000, entity: entity('etl'), entityKey: 'client-id=etl', quotaKey: 'producer_byte_rate', state: 'overloaded', oldValue: undefined, proposed: 200 * KIB, newValue: 200 * KIB, status: 'applied', appliedBy: 'sluice (auto)', reason: 'overloaded: demand 307200 B/s (measured) over its general allocation 204800 B/s' });
  await audit.record({ ...base, ts: NOW - 30_000, entity: entity('web'), entityKey: 'client-id=web', quotaKey: 'producer_byte_rate', state: 'pressured', oldValue: undefined, proposed: 40 * KIB, newValue: undefined, status: 'skipped', reason: 'pressured: cooldown' });
  await audit.record({ ...base, ts: NOW - 10_000, entity: entity('etl'), entityKey: 'client-id=etl', quotaKey: 'producer_byte_rate', state: 'headroom', oldValue: 200 * KIB, proposed: null, newValue: null, status: 'applied', appliedBy: 'sluice (auto)', reason: "headroom: demand 204800 B/s fits again: restoring the operator's unset quota" });
  const status = statusSource({
    clusters: ['east'], engine: new Engine(), querier: store.querier, alerts: { alerts: () => ALERTS }, audit, now: () => now,
    rateWindowSeconds: 30, windowSeconds: 300, stepSeconds: 5, refreshSeconds: 0.5,
  });
  api = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, status });
  url = await listenApi(api, 0);
});

after(async () => {
  await api?.close();
  if ('schema' in location) await store?.db.exec(`DROP SCHEMA IF EXISTS ${location.schema} CASCADE`);
  await store?.close();
});

/** HTML text as a browser shows it: tags dropped, the page's entities decoded. */
function shown(html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);
}

/** The cells of every `<tr class="${rowClass}…">` in `html`, as shown. */
function rows(html: string, rowClass: string): string[][] {
  const found = html.match(new RegExp(`<tr class="${rowClass}[^"]*"[^>]*>.*?</tr>`, 'g')) ?? [];
  return found.map((row) => [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => shown(m[1]!)));
}

describe('GET /api/v1/status', () => {
  test('brokers with utilization and traffic, consumer groups worst first, top clients, firing alerts, decisions without the skipped ones', async () => {
    const res = await api.inject('/api/v1/status');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const view = res.json() as StatusView;
    assert.deepEqual([view.at, view.windowSeconds, view.stepSeconds, view.refreshSeconds], [new Date(NOW).toISOString(), 300, 5, 0.5]);
    const east = view.clusters[0]!;
    assert.deepEqual([view.clusters.length, east.name, east.brokersUp, east.throttle], [1, 'east', 2, null]);
    // Utilization is the largest of bytes in / capacity (100, 200 KiB/s of 1 MiB/s) and 1 − idle (0.2).
    assert.deepEqual(east.brokers.map((b) => [b.id, b.up, b.utilization, b.bytesInPerSec, b.bytesOutPerSec, b.capacityIn, b.handlerBusy, b.leaders, b.replicas]), [
      ['0', true, 0.2, 100 * KIB, 10 * KIB, 1024 * KIB, 0.2, 2, 6],
      ['1', true, 0.2, 200 * KIB, 10 * KIB, 1024 * KIB, 0.2, 3, 6],
      ['2', false, null, null, null, 1024 * KIB, null, 4, 6],
    ]);
    // 300 s at 5 s steps: 61 points for brokers up the whole window. Broker 2's rates need two
    // samples in their 30 s window (its last bytes-in point 25 s after its last sample); the idle
    // gauge is read over that window (30 s after, at 1 − idle = 0.2).
    assert.deepEqual(east.brokers.map((b) => [b.series.length, b.bytesIn.length]), [[61, 61], [61, 61], [43, 42]]);
    assert.deepEqual(east.brokers[0]!.series[0], [NOW - 300_000, 0.2]);
    assert.deepEqual(east.brokers[2]!.series.find((p) => p[0] === NOW - 125_000), [NOW - 125_000, 0.293]);
    assert.deepEqual([east.brokers[2]!.bytesIn.find((p) => p[0] === NOW - 125_000), east.brokers[2]!.bytesIn.at(-1)![0], east.brokers[2]!.series.at(-1)], [[NOW - 125_000, 300 * KIB], NOW - 95_000, [NOW - 90_000, 0.2]]);

    assert.deepEqual(east.groups.byStatus, { ERR: 1, WARN: 1, OK: 3 });
    assert.equal(east.groups.total, 5);
    assert.deepEqual(east.groups.shown.map((g) => [g.name, g.status, g.members, g.lag, g.lagSeconds, g.current, g.seenAt]), [
      ['billing', 'ERR', 2, 600, 12.5, true, new Date(NOW).toISOString()],
      ['reports', 'WARN', 1, 170, 75, true, new Date(NOW).toISOString()],
      [EVIL, 'OK', 1, 7, 0.4, true, new Date(NOW).toISOString()],
      ['analytics', 'OK', 3, 0, 0, true, new Date(NOW).toISOString()],
      ['stopped', 'OK', 0, 5, 1, false, new Date(NOW - 120_000).toISOString()],
    ]);
    // Total lag over the window: a collection every 10 s from NOW − 300 s, 570 then one more each time.
    const billing = east.groups.shown[0]!.series;
    assert.equal(billing.length, 31);
    assert.deepEqual([billing[0], billing.at(-1)], [[NOW - 300_000, 570], [NOW, 600]]);

    assert.deepEqual(east.topClients.map((c) => [c.clientId, c.direction, c.bytesPerSec, c.throttleMs, c.series.length]), [
      ['etl', 'produce', 300 * KIB, 0, 61],
      ['reports', 'consume', 120 * KIB, 250, 61],
      ['web', 'produce', 50 * KIB, 0, 61],
    ]);
    assert.deepEqual(view.alerts.firing.map((a) => [a.name, a.severity, a.muted]), [['KafkaBrokerDown', 'page', false], ['KafkaUnderReplicatedPartitions', 'warning', true]]);
    assert.equal(view.alerts.pending, 1);
    assert.deepEqual(view.decisions.map((d) => [d.at, d.entity, d.oldValue, d.newValue, d.status]), [
      [new Date(NOW - 10_000).toISOString(), 'client-id=etl', 200 * KIB, null, 'applied'],
      [new Date(NOW - 60_000).toISOString(), 'client-id=etl', null, 200 * KIB, 'applied'],
    ]);
  });
});

describe('the pages, rendered on the server', () => {
  test('/: the whole page without a script, times with their date and UTC offset', async () => {
    const res = await api.inject('/');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.body;
    assert.ok(!body.includes('loading'), 'nothing is left to a script');
    assert.match(body, /<script type="module" src="\/status-page\/status\.js"><\/script>/);
    assert.match(body, /<body data-refresh-ms="500">/);
    assert.match(body, /<a href="\/api\/v1\/sluice\/alerts">alerts<\/a>/);
    assert.match(body, /<p id="updated" aria-live="polite" data-at="2026-01-15T12:00:00.000Z">updated <time datetime="2026-01-15T12:00:00.000Z">2026-01-15 12:00:00 \+00:00<\/time><\/p>/);
    assert.match(body, /<span class="down" data-role="brokers-up">2\/3 brokers up<\/span> · <span data-role="groups-summary">5 consumer groups: 1 ERR, 1 WARN, 3 OK<\/span>/);
    assert.deepEqual(rows(body, 'group').map((cells) => cells.slice(0, 5)), [
      ['billing', 'ERR', '2', '600', '12.5 s'],
      ['reports', 'WARN', '1', '170', '1 min 15 s'],
      [EVIL_SHOWN, 'OK', '1', '7', '0.4 s'],
      ['analytics', 'OK', '3', '0', '0.0 s'],
      ['stopped gone, last seen 2026-01-15 11:58:00 +00:00', 'OK', '0', '5', '1.0 s'],
    ]);
    // The trend cell: the sparkline's scale and frame written out.
    const billingTrend = rows(body, 'group')[0]![5]!;
    assert.equal(billingTrend, '6005702026-01-15 11:55:00 +00:002026-01-15 12:00:00 +00:00');
    assert.match(body, /<a href="\/groups\?cluster=east&amp;group=billing">billing<\/a>/);
    // Broker cards with their detail, client cards, alerts and decisions.
    assert.match(body, /<div class="head"><span class="name">broker 2 <\/span><span class="down">down<\/span><span class="muted"> · n\/a<\/span><\/div>/);
    assert.match(body, /<dd data-role="bytes-in">200 KiB\/s of 1.0 MiB\/s<\/dd>/);
    assert.deepEqual(rows(body, 'decision').map((cells) => cells.slice(0, 6)), [
      ['2026-01-15 11:59:50 +00:00', 'east', 'client-id=etl', 'producer_byte_rate', '200 KiB/s → unset', 'applied by sluice (auto)'],
      ['2026-01-15 11:59:00 +00:00', 'east', 'client-id=etl', 'producer_byte_rate', 'unset → 200 KiB/s', 'applied by sluice (auto)'],
    ]);
    assert.match(body, /<li class="alert page" data-alert="KafkaBrokerDown"><strong>KafkaBrokerDown<\/strong> \(page\) since 2026-01-15 11:58:10 \+00:00: Broker 2 of east is down<\/li>/);
  });

  test('untrusted names are escaped everywhere: markup, quotes, NUL and a lone surrogate', async () => {
    const body = (await api.inject('/')).body;
    assert.ok(!body.includes('<script>alert'), 'no markup from a group name');
    assert.ok(!body.includes('\u0000') && !/[\ud800-\udfff]/.test(body.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')), 'no NUL, no lone surrogate');
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39; \u2400\ufffd x';
    assert.ok(body.includes(`data-group="${escaped}"`), 'the attribute holds the escaped name');
    // The link carries the name in the store's reversible form: NUL as \0, the surrogate as \uD800.
    const link = 'group=sluice-escaped%3A%3Cscript%3Ealert(1)%3C%2Fscript%3E%22&#39;%20%5C0%5CuD800%20x';
    assert.ok(body.includes(`<a href="/groups?cluster=east&amp;${link}">${escaped}</a>`), 'the link to the group page');
    const page = await api.inject(`/groups?cluster=east&${link.replace('&#39;', "'")}`);
    assert.equal(page.statusCode, 200, 'the link finds the group');
    assert.match(page.body, /<title>Sluice · group &lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&#39; \u2400\ufffd x on east<\/title>/);
    assert.deepEqual(rows(page.body, 'partition'), [['clicks', '0', 'OK', '4,993', '5,000', '7', '0.4 s']]);
    assert.ok(!page.body.includes('<script>alert') && !page.body.includes('\u0000'));
    // The name with U+FFFD in place of the surrogate is another group.
    assert.equal((await api.inject(`/groups?cluster=east&group=${encodeURIComponent(EVIL.replace('\ud800', '\ufffd'))}`)).statusCode, 404);
  });

  test('/groups: a group\'s partitions with status, current and end offsets, lag and lag in seconds', async () => {
    const res = await api.inject('/groups?cluster=east&group=billing');
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<title>Sluice · group billing on east<\/title>/);
    assert.match(res.body, /<span class="badge status-ERR" data-role="group-status">ERR<\/span> · 2 members · lag <span data-role="group-lag">600<\/span> messages · <span data-role="group-lag-seconds">12.5 s<\/span> behind/);
    assert.deepEqual(rows(res.body, 'partition'), [
      ['orders', '0', 'STOP', '600', '1,000', '400', '12.5 s'],
      ['orders', '1', 'OK', '600', '800', '200', '3.0 s'],
    ]);
    const gone = await api.inject('/groups?cluster=east&group=stopped');
    assert.equal(gone.statusCode, 200);
    assert.match(gone.body, /stopped<\/a> <span class="muted gone">gone, last seen 2026-01-15 11:58:00 \+00:00<\/span>/);
    assert.deepEqual(rows(gone.body, 'partition'), [['clicks', '0', 'OK', '4,995', '5,000', '5', '1.0 s']]);
  });

  test('/groups: a group or cluster that is not there is a 404 page that says so; a missing parameter a 400 naming it', async () => {
    const missing = await api.inject('/groups?cluster=east&group=nobody');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /No consumer group &quot;nobody&quot; on cluster &quot;east&quot; was collected within the page's window\./);
    assert.equal((await api.inject('/groups?cluster=west&group=billing')).statusCode, 404);
    const bad = await api.inject('/groups?cluster=east');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /query\.group: expected one non-empty consumer group name, got none/);
    const twice = await api.inject('/groups?cluster=east&cluster=west&group=billing');
    assert.equal(twice.statusCode, 400);
    assert.match(twice.body, /query\.cluster: expected one non-empty cluster name, got 2 values/);
  });

  test('the assets are served as they are, and the OpenAPI document lists the JSON route only', async () => {
    const js = await api.inject('/status-page/status.js');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(js.body, /fetch\(location\.href/);
    assert.equal((await api.inject('/status-page/status.css')).headers['content-type'], 'text/css; charset=utf-8');
    assert.equal((await api.inject('/status-page/nope.js')).statusCode, 404);
    const doc = (await api.inject('/api/v1/openapi.json')).json() as { paths: Record<string, unknown> };
    assert.ok('/api/v1/status' in doc.paths);
    assert.ok(!('/' in doc.paths) && !('/groups' in doc.paths), 'the pages are not API routes');
  });
});

describe('the page in Chromium', { skip: NO_CHROMIUM }, () => {
  test('with JavaScript off: brokers, groups with their trends, alerts and decisions; the drill-downs work', async () => {
    const browser = await launchChromium({ javaScriptEnabled: false });
    try {
      const page = await browser.context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => void dialogs.push(d.message()));
      await page.goto(`${url}/`);
      assert.equal(await page.isVisible('[data-cluster="east"] table.groups'), true);
      assert.equal(await page.textContent('[data-cluster="east"] [data-role="brokers-up"]'), '2/3 brokers up');
      const groups = await page.$$eval('table.groups tr.group', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 5).map((td) => td.innerText)));
      assert.deepEqual(groups.map((g) => g.slice(1)), [['ERR', '2', '600', '12.5 s'], ['WARN', '1', '170', '1 min 15 s'], ['OK', '1', '7', '0.4 s'], ['OK', '3', '0', '0.0 s'], ['OK', '0', '5', '1.0 s']]);
      assert.deepEqual(groups.map((g) => g[0]), ['billing', 'reports', EVIL_SHOWN, 'analytics', 'stopped gone, last seen 2026-01-15 11:58:00 +00:00']);
      const trend = await page.$eval('tr.group[data-group="billing"] figure.spark', (f) => [f.querySelector('.spark-max')!.textContent, f.querySelector('.spark-min')!.textContent, ...[...f.querySelectorAll('time')].map((t) => t.textContent), f.querySelector('polyline')!.getAttribute('points')!.split(' ').length]);
      assert.deepEqual(trend, ['600', '570', '2026-01-15 11:55:00 +00:00', '2026-01-15 12:00:00 +00:00', 31]);
      const brokers = await page.$$eval('.broker', (cards) => cards.map((c) => [(c as HTMLElement).dataset.broker, c.querySelector('div')!.textContent, c.querySelector('.spark-max')!.textContent, c.querySelector('polyline')!.getAttribute('points')!.split(' ').length]));
      assert.deepEqual(brokers, [['0', 'broker 0 up · 20%', '20%', 61], ['1', 'broker 1 up · 20%', '20%', 61], ['2', 'broker 2 down · n/a', '29%', 43]]);
      // A broker's detail opens without a script.
      assert.equal(await page.isVisible('.broker[data-broker="1"] [data-role="bytes-in"]'), false);
      await page.click('.broker[data-broker="1"] summary');
      assert.equal(await page.textContent('.broker[data-broker="1"] [data-role="bytes-in"]'), '200 KiB/s of 1.0 MiB/s');
      const clients = await page.$$eval('.client', (cards) => cards.map((c) => c.querySelector('div')!.textContent));
      assert.deepEqual(clients, ['etl produce · 300 KiB/s', 'reports consume · 120 KiB/s · throttled 250 ms', 'web produce · 50.0 KiB/s']);
      assert.deepEqual(await page.$$eval('#alerts li', (items) => items.map((li) => li.textContent)), [
        'KafkaBrokerDown (page) since 2026-01-15 11:58:10 +00:00: Broker 2 of east is down',
        'KafkaUnderReplicatedPartitions (warning) since 2026-01-15 11:58:20 +00:00: 4 partitions on east are under-replicated [silenced or inhibited]',
        '1 pending',
      ]);
      assert.equal(await page.$$eval('#decisions tbody tr', (trs) => trs.length), 2);
      // The drill-down: the group's link leads to its partitions.
      await page.click('tr.group[data-group="billing"] a');
      assert.equal(await page.isVisible('table.partitions'), true);
      assert.deepEqual(await page.$$eval('table.partitions tr.partition', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText))), [
        ['orders', '0', 'STOP', '600', '1,000', '400', '12.5 s'],
        ['orders', '1', 'OK', '600', '800', '200', '3.0 s'],
      ]);
      await page.goBack();
      await page.click(`tr.group:nth-child(3) a`);
      assert.equal(await page.title(), `Sluice · group ${EVIL_SHOWN} on east`);
      assert.deepEqual(dialogs, []);
    } finally {
      await browser.close();
    }
  });

  test('with JavaScript on: the same page, and the script refreshes it in place, keeping a detail open', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${url}/`);
      assert.equal(await page.isVisible('[data-cluster="east"] table.groups'), true);
      assert.equal(await page.textContent('tr.group[data-group="billing"] td.lag'), '600');
      await page.click('.broker[data-broker="0"] summary');
      // The next collection: billing falls 50 behind on orders-0.
      const next = NOW + 10_000;
      await store.writer.write(groupCycle('billing', next, 'ERR', 2, [
        { topic: 'orders', partition: 0, end: 1100, lag: 450, lagSeconds: 20, status: 'STOP' },
        { topic: 'orders', partition: 1, end: 800, lag: 200, lagSeconds: 3, status: 'OK' },
      ]));
      now = next;
      await page.waitForFunction(() => document.querySelector('tr.group[data-group="billing"] td.lag')?.textContent === '650', undefined, { timeout: 5_000, polling: 100 });
      assert.equal(await page.textContent('tr.group[data-group="billing"] td.lag-seconds'), '20.0 s');
      assert.equal(await page.getAttribute('#updated', 'data-at'), new Date(next).toISOString());
      assert.equal(await page.textContent('#updated'), 'updated 2026-01-15 12:00:10 +00:00');
      assert.equal(await page.isVisible('.broker[data-broker="0"] [data-role="bytes-in"]'), true, 'the open detail stays open');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
