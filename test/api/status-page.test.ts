/**
 * The status page over fixed series: GET /api/v1/status computed by the real PromQL engine from
 * a 3-broker cluster's series (broker 2 down for the last two minutes), quota decisions in the
 * audit store (PGlite, or PostgreSQL at DATABASE_URL), firing alerts; the page and its assets
 * served as they are; and the page drawn by headless Chromium from that API over real HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApi, listenApi } from '../../src/api/server.ts';
import { statusSource, type StatusView } from '../../src/api/status-page/view.ts';
import type { ApiAlert } from '../../src/api/types.ts';
import { Engine, SeriesSet } from '../../src/rules/promql/index.ts';
import { openDb } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { Db } from '../../src/store/types.ts';
import { DecisionStore } from '../../src/throttle/audit.ts';
import { launchChromium, NO_CHROMIUM } from '../helpers/chromium.ts';
import { DATABASE_URL, uniqueSchema } from '../store/support.ts';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const STEP = 5_000;
const KIB = 1024;

/**
 * Ten minutes of a 3-broker cluster `east`, sampled every 5 s: broker b takes (b + 1) × 100 KiB/s
 * in of a 1 MiB/s capacity with its request handlers 80 % idle; broker 2 stops two minutes before
 * NOW (its series end, sluice_cluster_broker_up says 0). Producers: etl at 300 KiB/s, web at
 * 50 KiB/s (and at 80 KiB/s under its earlier tags until 150 s before NOW); consumer reports at
 * 120 KiB/s, throttled 250 ms.
 */
function series(): SeriesSet {
  const set = new SeriesSet();
  const c = { cluster: 'east' };
  for (let t = NOW - 10 * 60_000; t <= NOW; t += STEP) {
    const elapsed = (t - (NOW - 10 * 60_000)) / 1000;
    for (const broker of ['0', '1', '2']) {
      const down = broker === '2' && t > NOW - 2 * 60_000;
      set.add({ __name__: 'sluice_cluster_broker_up', ...c, broker }, t, down ? 0 : 1);
      if (down) continue;
      const rateIn = (Number(broker) + 1) * 100 * KIB;
      set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesin_total', ...c, broker, topic: '' }, t, rateIn * elapsed);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_replicationbytesin_total', ...c, broker }, t, 0);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_bytesout_total', ...c, broker, topic: '' }, t, 10 * KIB * elapsed);
      set.add({ __name__: 'kafka_server_brokertopicmetrics_replicationbytesout_total', ...c, broker }, t, 0);
      set.add({ __name__: 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', ...c, broker }, t, 0.8);
      set.add({ __name__: 'sluice_broker_network_capacity_bytes_per_second', ...c, broker, direction: 'in' }, t, 1024 * KIB);
      set.add({ __name__: 'sluice_broker_network_capacity_bytes_per_second', ...c, broker, direction: 'out' }, t, 1024 * KIB);
    }
    set.add({ __name__: 'sluice_client_produce_byte_rate', ...c, client_id: 'etl' }, t, 300 * KIB);
    set.add({ __name__: 'sluice_client_produce_byte_rate', ...c, client_id: 'web' }, t, 50 * KIB);
    // web's series from before a quota entity applied to it, as the brokers tagged it then.
    set.add({ __name__: 'sluice_client_produce_byte_rate', ...c, user: 'ANONYMOUS', client_id: 'web' }, t, t < NOW - 150_000 ? 80 * KIB : 0);
    set.add({ __name__: 'sluice_client_fetch_byte_rate', ...c, client_id: 'reports' }, t, 120 * KIB);
    set.add({ __name__: 'sluice_client_produce_throttle_time_ms', ...c, client_id: 'etl' }, t, 0);
    set.add({ __name__: 'sluice_client_fetch_throttle_time_ms', ...c, client_id: 'reports' }, t, 250);
  }
  return set;
}

const ALERTS: ApiAlert[] = [
  { labels: { alertname: 'KafkaBrokerDown', cluster: 'east', broker: '2', severity: 'page' }, annotations: { summary: 'Broker 2 of east is down' }, state: 'firing', activeAt: new Date(NOW - 110_000).toISOString(), value: 0, silencedBy: [], inhibitedBy: [] },
  { labels: { alertname: 'KafkaUnderReplicatedPartitions', cluster: 'east', severity: 'warning' }, annotations: { summary: '4 partitions on east are under-replicated' }, state: 'firing', activeAt: new Date(NOW - 100_000).toISOString(), value: 4, silencedBy: [], inhibitedBy: ['KafkaBrokerDown'] },
  { labels: { alertname: 'KafkaConsumerGroupLagGrowing', cluster: 'east', group: 'reports', severity: 'warning' }, annotations: { summary: 'lag grows' }, state: 'pending', activeAt: new Date(NOW - 5_000).toISOString(), value: 900, silencedBy: [], inhibitedBy: [] },
];

let db: Db;
let api: FastifyInstance;
let url: string;

before(async () => {
  db = await openDb(DATABASE_URL === undefined ? { dataDir: 'memory' } : { url: DATABASE_URL, schema: uniqueSchema() });
  await migrate(db);
  const audit = new DecisionStore(db);
  const entity = (name: string) => [{ entityType: 'client-id' as const, entityName: name }];
  const base = { cluster: 'east', mode: 'auto', evidence: {} } as const;
  await audit.record({ ...base, ts: NOW - 60_000, entity: entity('etl'), entityKey: 'client-id=etl', quotaKey: 'producer_byte_rate', state: 'overloaded', oldValue: undefined, proposed: 200 * KIB, newValue: 200 * KIB, status: 'applied', appliedBy: 'sluice (auto)', reason: 'overloaded: demand 307200 B/s (measured) over its general allocation 204800 B/s' });
  await audit.record({ ...base, ts: NOW - 30_000, entity: entity('web'), entityKey: 'client-id=web', quotaKey: 'producer_byte_rate', state: 'pressured', oldValue: undefined, proposed: 40 * KIB, newValue: undefined, status: 'skipped', reason: 'pressured: cooldown' });
  await audit.record({ ...base, ts: NOW - 10_000, entity: entity('etl'), entityKey: 'client-id=etl', quotaKey: 'producer_byte_rate', state: 'headroom', oldValue: 200 * KIB, proposed: null, newValue: null, status: 'applied', appliedBy: 'sluice (auto)', reason: "headroom: demand 204800 B/s fits again: restoring the operator's unset quota" });
  const status = statusSource({
    clusters: ['east'], engine: new Engine(), querier: series(), alerts: { alerts: () => ALERTS }, audit, now: () => NOW, rateWindowSeconds: 30, windowSeconds: 300, stepSeconds: 5,
  });
  api = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, status });
  url = await listenApi(api, 0);
});

after(async () => {
  await api?.close();
  await db?.close();
});

describe('GET /api/v1/status', () => {
  test('brokers with utilization now and over the window, top clients, firing alerts, decisions without the skipped ones', async () => {
    const res = await api.inject('/api/v1/status');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const view = res.json() as StatusView;
    assert.equal(view.at, new Date(NOW).toISOString());
    assert.equal(view.windowSeconds, 300);
    assert.equal(view.clusters.length, 1);
    const east = view.clusters[0]!;
    assert.equal(east.name, 'east');
    assert.equal(east.brokersUp, 2);
    assert.equal(east.throttle, null);
    // Utilization is the largest of bytes in / capacity (100, 200 KiB/s of 1 MiB/s) and 1 − idle (0.2).
    assert.deepEqual(east.brokers.map((b) => [b.id, b.up, b.utilization]), [['0', true, 0.2], ['1', true, 0.2], ['2', false, null]]);
    // 300 s at 5 s steps: 61 points for brokers up the whole window; broker 2's end two minutes ago.
    assert.equal(east.brokers[0]!.series.length, 61);
    assert.deepEqual(east.brokers[0]!.series[0], [NOW - 300_000, 0.2]);
    // Broker 2's rates need two samples in their 30 s window and its idle gauge is read over that
    // window: its points end 30 s after its last sample, 300 KiB/s of 1 MiB/s in until then.
    assert.equal(east.brokers[2]!.series.length, 43);
    assert.deepEqual(east.brokers[2]!.series.find((p) => p[0] === NOW - 125_000), [NOW - 125_000, 0.293]);
    assert.deepEqual(east.brokers[2]!.series.at(-1), [NOW - 90_000, 0.2]);
    assert.deepEqual(east.topClients.map((c) => [c.clientId, c.direction, c.bytesPerSec, c.throttleMs, c.series.length]), [
      ['etl', 'produce', 300 * KIB, 0, 61],
      ['reports', 'consume', 120 * KIB, 250, 61],
      ['web', 'produce', 50 * KIB, 0, 61],
    ]);
    // web's two tag sets are one client: the larger value at each time.
    const web = east.topClients[2]!;
    assert.deepEqual([web.series[0], web.series.find((p) => p[0] === NOW - 150_000), web.series.at(-1)], [[NOW - 300_000, 80 * KIB], [NOW - 150_000, 50 * KIB], [NOW, 50 * KIB]]);
    assert.deepEqual(view.alerts.firing.map((a) => [a.name, a.severity, a.summary, a.muted]), [
      ['KafkaBrokerDown', 'page', 'Broker 2 of east is down', false],
      ['KafkaUnderReplicatedPartitions', 'warning', '4 partitions on east are under-replicated', true],
    ]);
    assert.equal(view.alerts.pending, 1);
    assert.deepEqual(view.decisions.map((d) => [d.at, d.entity, d.quota, d.oldValue, d.newValue, d.status, d.by]), [
      [new Date(NOW - 10_000).toISOString(), 'client-id=etl', 'producer_byte_rate', 200 * KIB, null, 'applied', 'sluice (auto)'],
      [new Date(NOW - 60_000).toISOString(), 'client-id=etl', 'producer_byte_rate', null, 200 * KIB, 'applied', 'sluice (auto)'],
    ]);
    assert.equal(view.decisions[1]!.reason, 'overloaded: demand 307200 B/s (measured) over its general allocation 204800 B/s');
  });

  test('the page and its assets are served as they are, and the OpenAPI document lists the status route', async () => {
    const page = await api.inject('/');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(page.body, /<script type="module" src="\/status-page\/status\.js"><\/script>/);
    const js = await api.inject('/status-page/status.js');
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(js.body, /fetch\('\/api\/v1\/status'/);
    const css = await api.inject('/status-page/status.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal((await api.inject('/status-page/nope.js')).statusCode, 404);
    const doc = (await api.inject('/api/v1/openapi.json')).json() as { paths: Record<string, unknown> };
    assert.ok('/api/v1/status' in doc.paths);
    assert.ok(!('/' in doc.paths), 'the page itself is not an API route');
  });
});

describe('the page in Chromium', { skip: NO_CHROMIUM }, () => {
  test('shows the brokers with sparklines, the top clients, the firing alerts and the decisions with their reasons', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${url}/`);
      await page.waitForSelector('[data-role="brokers-up"]', { timeout: 15_000 });
      assert.equal(await page.textContent('[data-cluster="east"] [data-role="brokers-up"]'), '2/3 brokers up');
      const brokers = await page.$$eval('.broker', (cards) => cards.map((c) => [(c as HTMLElement).dataset.broker, c.querySelector('div')!.textContent, c.querySelector('polyline')!.getAttribute('points')!.split(' ').length]));
      assert.deepEqual(brokers, [['0', 'broker 0 up · 20%', 61], ['1', 'broker 1 up · 20%', 61], ['2', 'broker 2 down · n/a', 43]]);
      const clients = await page.$$eval('.client', (cards) => cards.map((c) => c.querySelector('div')!.textContent));
      assert.deepEqual(clients, ['etl produce · 300 KiB/s', 'reports consume · 120 KiB/s · throttled 250 ms', 'web produce · 50.0 KiB/s']);
      const alerts = await page.$$eval('#alerts li', (items) => items.map((li) => li.textContent!.replace(/since [^:]+:\d\d(:\d\d)?( [AP]M)?/, 'since T')));
      assert.deepEqual(alerts, [
        'KafkaBrokerDown (page) since T: Broker 2 of east is down',
        'KafkaUnderReplicatedPartitions (warning) since T: 4 partitions on east are under-replicated [silenced or inhibited]',
        '1 pending',
      ]);
      const decisions = await page.$$eval('#decisions tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1).map((td) => td.textContent)));
      assert.deepEqual(decisions, [
        ['east', 'client-id=etl', 'producer_byte_rate', '200 KiB/s → unset', 'applied by sluice (auto)', "headroom: demand 204800 B/s fits again: restoring the operator's unset quota"],
        ['east', 'client-id=etl', 'producer_byte_rate', 'unset → 200 KiB/s', 'applied by sluice (auto)', 'overloaded: demand 307200 B/s (measured) over its general allocation 204800 B/s'],
      ]);
      // It refreshes itself: a later fetch redraws the page.
      const first = await page.getAttribute('#updated', 'data-at');
      await page.waitForResponse((r) => r.url().endsWith('/api/v1/status'), { timeout: 10_000 });
      assert.equal(await page.getAttribute('#updated', 'data-at'), first, 'the fixed clock gives the same document');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
