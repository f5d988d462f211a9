/**
 * The requests Grafana's Prometheus data source sends (form-encoded POST queries with `step`,
 * Unix-second times, label look-ups for dashboard variables, buildinfo to tell which Prometheus it
 * talks to, the metric browser's labels and metadata), over real HTTP against the service as
 * `buildApp` wires it; and Sluice's own rule and alert views beside Prometheus's.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp, type App } from '../../../src/app.ts';
import { parseSluiceConfig } from '../../../src/app-config.ts';
import type { Sample } from '../../../src/store/index.ts';
import { form, qs } from './support.ts';

const BYTES = 'kafka_server_brokertopicmetrics_bytesin_total';
// Whole minutes in the recent past: the service runs on the wall clock.
const END = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const END_S = END / 1000;

describe('Grafana\'s Prometheus data source against the service', () => {
  let app: App;
  let dir: string;
  let url: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-grafana-'));
    await writeFile(join(dir, 'traffic.yaml'), 'groups:\n  - name: traffic\n    rules:\n      - record: topic:bytesin:rate1m\n        expr: sum by (cluster, topic) (rate(kafka_server_brokertopicmetrics_bytesin_total[1m]))\n');
    const config = parseSluiceConfig({ store: {}, clusters: [{ name: 'c1', bootstrap: ['127.0.0.1:1'] }], api: { port: 0 }, rules: { files: [join(dir, 'traffic.yaml')] } });
    app = buildApp(config, { collectors: () => [], jitter: 0 });
    await app.start();
    url = app.apiUrl!;
    const samples: Sample[] = [];
    for (let t = END - 30 * 60_000; t <= END; t += 15_000) {
      const s = (t - (END - 30 * 60_000)) / 1000;
      samples.push({ metric: BYTES, labels: { cluster: 'c1', topic: 'orders' }, ts: t, value: 10 * s });
      samples.push({ metric: BYTES, labels: { cluster: 'c1', topic: 'payments' }, ts: t, value: 20 * s });
    }
    await app.store.writer.write(samples);
    await app.store.writer.flush();
  });
  after(async () => {
    await app.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const post = async (path: string, params: Record<string, string>) => {
    const { headers, payload } = form(params);
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { ...headers, 'user-agent': 'Grafana/10.4.0' }, body: payload });
    return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as { status: string; data: unknown; errorType?: string } };
  };
  const get = async (path: string, params: Record<string, string | string[]> = {}) => {
    const res = await fetch(`${url}${path}?${qs(params)}`, { headers: { 'user-agent': 'Grafana/10.4.0' } });
    return (await res.json()) as { status: string; data: unknown };
  };

  test('data source check: buildinfo says Prometheus 2.42, and 1+1 answers', async () => {
    const info = await get('/api/v1/status/buildinfo');
    assert.equal((info.data as { version: string }).version, '2.42.0');
    // Grafana takes a buildinfo without `features` for Prometheus itself (not Mimir or Cortex).
    assert.equal('features' in (info.data as object), false);
    const check = await post('/api/v1/query', { query: '1+1', time: String(END_S) });
    assert.deepEqual(check, { status: 200, type: 'application/json', json: { status: 'success', data: { resultType: 'scalar', result: [END_S, '2'] } } });
  });

  test('a time series panel: POST query_range with step in seconds, and with a timeout', async () => {
    const res = await post('/api/v1/query_range', { query: `sum by (topic) (rate(${BYTES}{cluster="c1"}[1m]))`, start: String(END_S - 600), end: String(END_S), step: '60', timeout: '60s' });
    const values = (v: string) => Array.from({ length: 11 }, (_, i) => [END_S - 600 + 60 * i, v]);
    assert.deepEqual(res.json, { status: 'success', data: { resultType: 'matrix', result: [{ metric: { topic: 'orders' }, values: values('10') }, { metric: { topic: 'payments' }, values: values('20') }] } });
  });

  test('a stat or table panel: POST instant query', async () => {
    const res = await post('/api/v1/query', { query: `topk(1, ${BYTES})`, time: String(END_S) });
    assert.deepEqual(res.json.data, { resultType: 'vector', result: [{ metric: { __name__: BYTES, cluster: 'c1', topic: 'payments' }, value: [END_S, '36000'] }] });
  });

  test('dashboard variables: label_values with a selector, label_names(), metrics()', async () => {
    const range = { start: String(END_S - 3600), end: String(END_S) };
    assert.deepEqual((await get('/api/v1/label/topic/values', { 'match[]': `${BYTES}{cluster="c1"}`, ...range })).data, ['orders', 'payments']);
    assert.deepEqual((await get('/api/v1/label/cluster/values', range)).data, ['c1']);
    assert.deepEqual((await get('/api/v1/series', { 'match[]': `${BYTES}{topic=~"ord.*"}`, ...range })).data, [{ __name__: BYTES, cluster: 'c1', topic: 'orders' }]);
    assert.deepEqual((await get('/api/v1/labels', range)).data, ['__name__', 'cluster', 'topic']);
    const names = (await get('/api/v1/label/__name__/values', range)).data as string[];
    assert.ok(names.includes(BYTES), names.join());
  });

  test('the metric browser and exemplars', async () => {
    assert.deepEqual(((await get('/api/v1/metadata', { metric: BYTES })).data), { [BYTES]: [{ type: 'counter', help: '', unit: '' }] });
    assert.deepEqual((await post('/api/v1/query_exemplars', { query: `rate(${BYTES}[1m])`, start: String(END_S - 600), end: String(END_S) })).json, { status: 'success', data: [] });
  });

  test('a bad panel query is bad_data, not a server error', async () => {
    const res = await post('/api/v1/query_range', { query: 'sum(rate(x[1m])', start: String(END_S - 600), end: String(END_S), step: '60' });
    assert.deepEqual([res.status, res.json], [400, { status: 'error', errorType: 'bad_data', error: '1:16: parse error: unexpected end of input' }]);
  });

  test('Prometheus\'s rules and alerts at its paths, Sluice\'s own views under /api/v1/sluice', async () => {
    const prom = (await get('/api/v1/rules')) as { status: string; data: { groups: { file: string; interval: number; rules: { type: string; name: string }[] }[] } };
    assert.equal(prom.status, 'success');
    assert.deepEqual(prom.data.groups.map((g) => [g.file, g.interval, g.rules.map((r) => [r.type, r.name])]), [['traffic.yaml', 30, [['recording', 'topic:bytesin:rate1m']]]]);
    assert.deepEqual(await get('/api/v1/alerts'), { status: 'success', data: { alerts: [] } });
    const own = (await (await fetch(`${url}/api/v1/sluice/rules`)).json()) as { groups: { file: string; intervalSeconds: number }[] };
    assert.deepEqual(own.groups.map((g) => [g.file, g.intervalSeconds]), [['traffic.yaml', 30]]);
    assert.deepEqual(await (await fetch(`${url}/api/v1/sluice/alerts`)).json(), { alerts: [] });
  });
});
