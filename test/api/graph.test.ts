/**
 * GET /graph, the page alerts' generatorURL opens: over fixed series (a fixture Querier and the
 * real PromQL engine) the result table, the plot's lines, value axis and time axis, the
 * parameters Prometheus's expression browser takes, errors shown on the page with their status,
 * and HTML escaping of everything from the request or the data, checked in headless Chromium.
 * Then end to end: a rule evaluated by the service's rules manager fires, its webhook
 * notification carries a generatorURL, and that URL answers the page with the alert's series.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApi, listenApi } from '../../src/api/server.ts';
import { graphRoutes } from '../../src/api/routes/graph.ts';
import { buildApp, type App } from '../../src/app.ts';
import { parseSluiceConfig } from '../../src/app-config.ts';
import { Engine, SeriesSet } from '../../src/rules/promql/index.ts';
import { launchChromium, NO_CHROMIUM } from '../helpers/chromium.ts';
import { defaultTestStore } from '../helpers/service.ts';
import { startServer, waitFor, type TestServer } from '../notify/support.ts';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const SCRIPT = '<script>window.__xss = 1</script>';

/**
 * Two hours of partition sizes every 15 s: orders grows 10 B/s from 1000 B, the partition of a
 * topic named like a script stays at 500 B; and 25 small series `lag{group="gNN"}` at NN.
 */
function series(): SeriesSet {
  const set = new SeriesSet();
  const from = NOW - 2 * 3_600_000;
  for (let t = from; t <= NOW; t += 15_000) {
    set.add({ __name__: 'kafka_log_log_size', cluster: 'east', topic: 'orders', partition: '0' }, t, 1000 + (10 * (t - from)) / 1000);
    set.add({ __name__: 'kafka_log_log_size', cluster: 'east', topic: SCRIPT, partition: '0' }, t, 500);
    for (let g = 0; g < 25; g++) set.add({ __name__: 'lag', cluster: 'east', group: `g${String(g).padStart(2, '0')}` }, t, g);
  }
  return set;
}

let api: FastifyInstance;

before(async () => {
  api = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(app) => graphRoutes(app, { engine: new Engine(), querier: series(), now: () => NOW })] });
});
after(async () => api?.close());

async function page(params: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await api.inject({ method: 'GET', url: `/graph?${new URLSearchParams(params).toString()}` });
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  return { status: res.statusCode, body: res.body };
}

/** The table's rows as [series, value] (HTML as written). */
function rows(body: string): string[][] {
  return [...body.matchAll(/<tr><td class="series">(.*?)<\/td><td class="value">([^<]*)<\/td><\/tr>/gs)].map((m) => [m[1]!, m[2]!]);
}

/** The plot's axis labels by class. */
function axis(body: string): Record<string, string> {
  return Object.fromEntries([...body.matchAll(/<text class="axis (\w+)"[^>]*>([^<]*)<\/text>/g)].map((m) => [m[1]!, m[2]!]));
}

const ESCAPED_SCRIPT = '&lt;script&gt;window.__xss = 1&lt;/script&gt;';

describe('GET /graph', () => {
  test('an instant vector: the table now, a line per series over the last hour with its lowest and highest values, start and end', async () => {
    const { status, body } = await page({ 'g0.expr': 'kafka_log_log_size', 'g0.tab': '1' });
    assert.equal(status, 200);
    assert.ok(!body.includes('<script'), 'no script element on the page');
    assert.match(body, /<textarea id="expr" name="g0.expr"[^>]*>kafka_log_log_size<\/textarea>/);
    assert.match(body, /<h2 id="table-title">Table <span class="muted">\(instant vector at 2026-01-15 12:00:00 \+00:00\)<\/span><\/h2>/);
    // Sorted by series; 1000 + 10 B/s × 7200 s for orders.
    assert.deepEqual(rows(body), [
      [`kafka_log_log_size{cluster=&quot;east&quot;, partition=&quot;0&quot;, topic=&quot;${ESCAPED_SCRIPT}&quot;}`, '500'],
      ['kafka_log_log_size{cluster=&quot;east&quot;, partition=&quot;0&quot;, topic=&quot;orders&quot;}', '73000'],
    ]);
    // Steps of 14 s (1 h / 250) from 11:00:00: the last at 11:59:46 reads the sample of 11:59:45.
    assert.deepEqual(axis(body), { max: '72850', min: '500', start: '2026-01-15 11:00:00 +00:00', end: '2026-01-15 12:00:00 +00:00' });
    assert.equal([...body.matchAll(/<g class="series" stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1]).join(' '), '#1f77b4 #ff7f0e');
    const [scriptLine, ordersLine] = [...body.matchAll(/<polyline fill="none" points="([^"]*)"\/>/g)].map((m) => m[1]!.split(' '));
    assert.equal(ordersLine!.length, 258);
    assert.equal(scriptLine!.length, 258);
    // The flat line runs along the lowest value's grid line; the growing one starts at 37000 B
    // (half way up) and ends on the highest value's.
    assert.ok(scriptLine!.every((p) => p.endsWith(',270')), scriptLine!.slice(0, 3).join(' '));
    assert.deepEqual([ordersLine![0], ordersLine!.at(-1)], ['96,142.9', '943.5,18']);
    assert.match(body, /<title>kafka_log_log_size\{cluster=&quot;east&quot;, partition=&quot;0&quot;, topic=&quot;orders&quot;\}<\/title>/);
  });

  test('g0.tab=0 puts the graph first; g0.range_input sets the range and the step', async () => {
    const { status, body } = await page({ 'g0.expr': 'kafka_log_log_size{topic="orders"}', 'g0.tab': '0', 'g0.range_input': '30m' });
    assert.equal(status, 200);
    assert.ok(body.indexOf('id="graph-title"') < body.indexOf('id="table-title"'));
    assert.match(body, /<option value="0" selected>graph<\/option>/);
    assert.match(body, /<input name="g0.range_input" value="30m" size="8">/);
    // 30 min at 7 s steps: 258 points, the last at 11:59:58.
    assert.deepEqual(axis(body), { max: '72850', min: '55000', start: '2026-01-15 11:30:00 +00:00', end: '2026-01-15 12:00:00 +00:00' });
    assert.equal([...body.matchAll(/<polyline fill="none" points="([^"]*)"\/>/g)][0]![1]!.split(' ').length, 258);
  });

  test('more than 20 series: 20 lines, the last ten dashed, and the legend says how many there are', async () => {
    const { body } = await page({ 'g0.expr': 'lag' });
    assert.equal(rows(body).length, 25);
    assert.equal([...body.matchAll(/<g class="series"/g)].length, 20);
    assert.equal([...body.matchAll(/<g class="series"[^>]* stroke-dasharray="6 3">/g)].length, 10);
    assert.match(body, /<p class="muted">showing 20 of 25 series<\/p>/);
    assert.deepEqual(axis(body), { max: '19', min: '0', start: '2026-01-15 11:00:00 +00:00', end: '2026-01-15 12:00:00 +00:00' });
  });

  test('a scalar is one row and a flat line; a range vector lists its samples and has no graph', async () => {
    const scalar = await page({ 'g0.expr': '1 + 1' });
    assert.deepEqual(rows(scalar.body), [['scalar', '2']]);
    assert.deepEqual(axis(scalar.body), { max: '2', start: '2026-01-15 11:00:00 +00:00', end: '2026-01-15 12:00:00 +00:00' });
    const matrix = await page({ 'g0.expr': 'kafka_log_log_size{topic="orders"}[30s]' });
    assert.equal(matrix.status, 200);
    assert.deepEqual(rows(matrix.body), [[
      'kafka_log_log_size{cluster=&quot;east&quot;, partition=&quot;0&quot;, topic=&quot;orders&quot;}',
      '72700 @2026-01-15 11:59:30 +00:00\n72850 @2026-01-15 11:59:45 +00:00\n73000 @2026-01-15 12:00:00 +00:00',
    ]]);
    assert.match(matrix.body, /<p class="muted">a range vector has no graph: only an instant vector or a scalar can be drawn over time<\/p>/);
    // An hour holds 241 samples: the newest 100 are listed.
    const [[, hour]] = rows((await page({ 'g0.expr': 'kafka_log_log_size{topic="orders"}[1h]' })).body) as [[string, string]];
    const lines = hour.split('\n');
    assert.deepEqual([lines.length, lines[0], lines[1], lines.at(-1)], [101, '… 141 earlier samples', '58150 @2026-01-15 11:35:15 +00:00', '73000 @2026-01-15 12:00:00 +00:00']);
  });

  test('no expression: the form alone', async () => {
    const { status, body } = await page({});
    assert.equal(status, 200);
    assert.match(body, /<textarea id="expr" name="g0.expr"[^>]*><\/textarea>/);
    assert.ok(!body.includes('id="table-title"') && !body.includes('<svg'));
  });

  test('errors are shown on the page: 400 for a bad expression or parameter, 422 for an expression that cannot be evaluated', async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ 'g0.expr': 'sum(' }, 400, 'query.g0.expr: 1:5: unexpected end of input'],
      [{ 'g0.expr': 'lag', 'g0.range_input': '1x' }, 400, 'query.g0.range_input: expected a duration from 1s to 31d such as 1h, 30m or 1d, got &quot;1x&quot;'],
      [{ 'g0.expr': 'lag', 'g0.tab': '2' }, 400, 'query.g0.tab: expected 0 (graph first) or 1 (table first), got &quot;2&quot;'],
      [{ 'g0.expr': 'kafka_log_log_size + on(cluster) kafka_log_log_size' }, 422, 'found duplicate series for the match group {cluster=&quot;east&quot;} on the right hand-side of the operation: [{__name__=&quot;kafka_log_log_size&quot;, cluster=&quot;east&quot;, partition=&quot;0&quot;, topic=&quot;&lt;script&gt;window.__xss = 1&lt;/script&gt;&quot;}, {__name__=&quot;kafka_log_log_size&quot;, cluster=&quot;east&quot;, partition=&quot;0&quot;, topic=&quot;orders&quot;}];many-to-many matching not allowed: matching labels must be unique on one side'],
    ];
    for (const [params, status, error] of cases) {
      const res = await page(params);
      assert.equal(res.status, status, JSON.stringify(params));
      assert.equal(/<p class="error" role="alert">([^<]*)<\/p>/.exec(res.body)?.[1], error);
      assert.ok(!res.body.includes('id="table-title"'));
    }
  });
});

describe('GET /graph in a browser', { skip: NO_CHROMIUM }, () => {
  test('a script in the expression, in label values and in an error stays text', async () => {
    const url = await listenApi(api, 0);
    const browser = await launchChromium();
    try {
      const tab = await browser.context.newPage();
      const expr = `kafka_log_log_size{topic="${SCRIPT}"}`;
      const res = await tab.goto(`${url}/graph?${new URLSearchParams({ 'g0.expr': expr })}`);
      assert.equal(res?.status(), 200);
      assert.equal(await tab.inputValue('textarea[name="g0.expr"]'), expr);
      const series = `kafka_log_log_size{cluster="east", partition="0", topic="${SCRIPT}"}`;
      assert.deepEqual(await tab.locator('#result td').allTextContents(), [series, '500']);
      assert.deepEqual(await tab.locator('ul.legend li').allTextContents(), [series]);
      assert.equal(await tab.locator('svg.plot g.series title').textContent(), series);
      assert.equal(await tab.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);

      const bad = await tab.goto(`${url}/graph?${new URLSearchParams({ 'g0.expr': SCRIPT })}`);
      assert.equal(bad?.status(), 400);
      assert.equal(await tab.inputValue('textarea[name="g0.expr"]'), SCRIPT);
      assert.match((await tab.locator('p.error').textContent()) ?? '', /^query\.g0\.expr: 1:1: /);
      assert.equal(await tab.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    } finally {
      await browser.close();
    }
  });
});

describe('the generatorURL of a firing alert', () => {
  const RULES = `groups:
  - name: lag
    interval: 1s
    rules:
      - alert: BillingBehind
        expr: kafka_consumergroup_group_sum_lag{group="billing"} > 100
        labels: { severity: warning }
`;
  let dir: string;
  let hook: TestServer;
  const apps: App[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-graph-'));
    await writeFile(join(dir, 'lag.yaml'), RULES);
    hook = await startServer();
  });
  after(async () => {
    for (const app of apps) await app.stop();
    await hook?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A service with the rule, sending to the webhook under `path`, its API on a free port. */
  async function service(path: string, rules: Record<string, unknown> = {}): Promise<App> {
    const app = buildApp(parseSluiceConfig({
      store: defaultTestStore(),
      clusters: [{ name: 'c1', bootstrap: ['127.0.0.1:1'] }],
      api: { port: 0 },
      rules: { files: [join(dir, 'lag.yaml')], ...rules },
      notify: { route: { receiver: 'hook', group_wait: '0s', group_interval: '1s' }, receivers: [{ name: 'hook', webhook_configs: [{ url: `${hook.url}${path}` }] }] },
      throttle: { mode: 'off' },
    }), { collectors: () => [], jitter: 0 });
    apps.push(app);
    await app.start();
    // The lag as a collector would write it: 250 messages behind, every second for 5 s.
    const now = Date.now();
    await app.store.writer.write([0, 1, 2, 3, 4].map((i) => ({ metric: 'kafka_consumergroup_group_sum_lag', labels: { cluster: 'c1', group: 'billing' }, ts: now - 4000 + i * 1000, value: 250 })));
    return app;
  }

  /** The generatorURL of the first firing alert the webhook got at `path`. */
  async function generatorURL(path: string): Promise<string> {
    const firing = () => hook.requests.filter((r) => r.url === path).map((r) => JSON.parse(r.body) as { alerts: { status: string; generatorURL: string }[] }).flatMap((p) => p.alerts).find((a) => a.status === 'firing');
    await waitFor(() => firing() !== undefined, `a firing alert at ${path}`, 15_000);
    return firing()!.generatorURL;
  }

  test("answers Sluice's /graph page with the alert's series; with rules.externalUrl it points there", async () => {
    const [own] = await Promise.all([service('/own'), service('/external', { externalUrl: 'https://prometheus.example.org/' })]);
    const expr = 'kafka_consumergroup_group_sum_lag{group="billing"} > 100';
    const url = await generatorURL('/own');
    assert.equal(url, `${own!.apiUrl}/graph?${new URLSearchParams({ 'g0.expr': expr, 'g0.tab': '1' })}`);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /<textarea id="expr" name="g0.expr"[^>]*>kafka_consumergroup_group_sum_lag\{group=&quot;billing&quot;\} &gt; 100<\/textarea>/);
    assert.deepEqual(rows(body), [['kafka_consumergroup_group_sum_lag{cluster=&quot;c1&quot;, group=&quot;billing&quot;}', '250']]);
    assert.equal([...body.matchAll(/<g class="series"/g)].length, 1);
    assert.equal(await generatorURL('/external'), `https://prometheus.example.org/graph?${new URLSearchParams({ 'g0.expr': expr, 'g0.tab': '1' })}`);
  });
});
