/**
 * /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values, /api/v1/metadata,
 * /api/v1/query_exemplars, /api/v1/format_query and /api/v1/status/buildinfo as Prometheus 2.42
 * answers them, over a real store: series stored in the database only, in the head only, and in
 * both, found by `match[]` and the time range they have samples in.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../../src/store/index.ts';
import { form, NOW, NOW_S, openFixtureStore, prometheusApi, qs } from './support.ts';

const BYTES = 'kafka_server_brokertopicmetrics_bytesin_total';
const LAG = 'kafka_consumergroup_lag';
const lag = (partition: string) => ({ __name__: LAG, cluster: 'c1', group: 'billing', partition, topic: 'orders' });
const error = (type: string, message: string) => JSON.stringify({ status: 'error', errorType: type, error: message });

describe('series, labels and metadata', () => {
  let store: Store;
  let api: FastifyInstance;
  before(async () => {
    store = await openFixtureStore('pglite');
    api = await prometheusApi({ source: store.querier, now: () => NOW });
  });
  after(async () => {
    await api.close();
    await store.close();
  });

  const get = async (path: string, params: Record<string, string | string[]> = {}) => {
    const res = await api.inject({ url: `${path}?${qs(params)}` });
    return { status: res.statusCode, body: res.body, json: JSON.parse(res.body) as { status: string; data: unknown; warnings?: string[] } };
  };

  test('series matching any of the selectors, sorted, each once', async () => {
    const res = await get('/api/v1/series', { 'match[]': [LAG, `${LAG}{partition="1"}`, 'sluice_head_only'] });
    assert.equal(res.status, 200);
    assert.equal(res.body, JSON.stringify({ status: 'success', data: [lag('0'), lag('1'), { __name__: 'sluice_head_only', cluster: 'c1' }] }));
    const post = await api.inject({ method: 'POST', url: '/api/v1/series', ...form({ 'match[]': `{__name__=~"kafka_request_latency.*"}` }) });
    assert.deepEqual(JSON.parse(post.body).data, [
      { __name__: 'kafka_request_latency', cluster: 'c1', quantile: '0.99' },
      { __name__: 'kafka_request_latency_count', cluster: 'c1' },
      { __name__: 'kafka_request_latency_sum', cluster: 'c1' },
    ]);
  });

  test('series with a sample between start and end: stored ones, head-only ones', async () => {
    const names = async (params: Record<string, string>) => ((await get('/api/v1/series', { 'match[]': `{__name__=~"${BYTES}|sluice_head_only"}`, ...params })).json.data as { __name__: string; topic?: string }[]).map((s) => `${s.__name__}/${s.topic ?? ''}`);
    // Two hours ago to one hour ago: in the database only.
    assert.deepEqual(await names({ start: String(NOW_S - 7200), end: String(NOW_S - 3600) }), [`${BYTES}/orders`, `${BYTES}/payments`]);
    assert.deepEqual(await names({ start: String(NOW_S - 9000), end: String(NOW_S - 7201) }), []);
    // The last 20 seconds, in RFC 3339: the head-only series too.
    assert.deepEqual(await names({ start: '2024-01-01T11:59:40Z' }), [`${BYTES}/orders`, `${BYTES}/payments`, 'sluice_head_only/']);
    assert.deepEqual(await names({ start: '2024-01-01T11:59:55Z' }), [`${BYTES}/orders`, `${BYTES}/payments`]);
  });

  test('series: errors worded as Prometheus words them', async () => {
    const cases: [Record<string, string | string[]>, string][] = [
      [{}, 'no match[] parameter provided'],
      [{ 'match[]': 'up{' }, 'invalid parameter "match[]": 1:4: parse error: unexpected end of input'],
      [{ 'match[]': [LAG, '{job=""}'] }, 'invalid parameter "match[]": match[] must contain at least one non-empty matcher'],
      [{ 'match[]': 'up[5m]' }, 'invalid parameter "match[]": 1:1: parse error: expected a series selector such as up{job="x"}, got "up[5m]"'],
      [{ 'match[]': 'up', start: 'noon' }, 'invalid parameter "start": Invalid time value for \'start\': cannot parse "noon" to a valid timestamp'],
      [{ 'match[]': 'up', limit: '-1' }, 'invalid parameter "limit": limit must be non-negative'],
    ];
    for (const [params, message] of cases) {
      const res = await get('/api/v1/series', params);
      assert.deepEqual([res.status, res.body], [400, error('bad_data', message)], JSON.stringify(params));
    }
  });

  test('limit keeps the first series and warns', async () => {
    const res = await get('/api/v1/series', { 'match[]': LAG, limit: '1' });
    assert.deepEqual([res.json.data, res.json.warnings], [[lag('0')], ['results truncated due to limit']]);
  });

  test('label names, of every series or of those matching, GET or POST', async () => {
    assert.deepEqual((await get('/api/v1/labels')).json, { status: 'success', data: ['__name__', 'cluster', 'group', 'le', 'partition', 'quantile', 'topic'] });
    assert.deepEqual((await get('/api/v1/labels', { 'match[]': [LAG, 'sluice_request_seconds_bucket'] })).json.data, ['__name__', 'cluster', 'group', 'le', 'partition', 'topic']);
    const post = await api.inject({ method: 'POST', url: '/api/v1/labels', ...form({ 'match[]': 'kafka_request_latency', start: String(NOW_S - 60), end: String(NOW_S) }) });
    assert.deepEqual(JSON.parse(post.body).data, ['__name__', 'cluster', 'quantile']);
    // The label APIs report a bad selector without naming the parameter, as Prometheus does.
    const bad = await get('/api/v1/labels', { 'match[]': 'up{' });
    assert.deepEqual([bad.status, bad.body], [400, error('bad_data', '1:4: parse error: unexpected end of input')]);
  });

  test('label values, for dashboard variables: all, of matching series, of metric names', async () => {
    const values = async (name: string, params: Record<string, string | string[]> = {}) => (await get(`/api/v1/label/${name}/values`, params)).json.data;
    assert.deepEqual(await values('topic'), ['orders', 'payments']);
    assert.deepEqual(await values('topic', { 'match[]': `${LAG}{cluster="c1"}` }), ['orders']);
    assert.deepEqual(await values('partition', { 'match[]': `${LAG}{partition!="0"}`, start: String(NOW_S - 7200), end: String(NOW_S) }), ['1']);
    assert.deepEqual(await values('group', { 'match[]': BYTES }), []);
    assert.deepEqual(await values('__name__', { 'match[]': '{__name__=~"kafka_c.*|sluice_.*"}' }), [LAG, 'sluice_head_only', 'sluice_request_seconds_bucket', 'sluice_request_seconds_count', 'sluice_request_seconds_sum']);
    const bad = await get('/api/v1/label/topic-name/values');
    assert.deepEqual([bad.status, bad.body], [400, error('bad_data', 'invalid label name: "topic-name"')]);
  });

  test('metadata by naming convention: counters, gauges, histograms, summaries', async () => {
    const none = { help: '', unit: '' };
    assert.equal((await get('/api/v1/metadata')).body, JSON.stringify({
      status: 'success',
      data: {
        [LAG]: [{ type: 'gauge', ...none }],
        kafka_request_latency: [{ type: 'summary', ...none }],
        [BYTES]: [{ type: 'counter', ...none }],
        sluice_head_only: [{ type: 'gauge', ...none }],
        sluice_request_seconds: [{ type: 'histogram', ...none }],
      },
    }));
    assert.deepEqual((await get('/api/v1/metadata', { metric: 'sluice_request_seconds' })).json.data, { sluice_request_seconds: [{ type: 'histogram', ...none }] });
    assert.deepEqual((await get('/api/v1/metadata', { metric: 'sluice_request_seconds_bucket' })).json.data, {});
    assert.deepEqual(Object.keys((await get('/api/v1/metadata', { limit: '2' })).json.data as object), [LAG, 'kafka_request_latency']);
    const bad = await get('/api/v1/metadata', { limit: 'many' });
    assert.deepEqual([bad.status, bad.body], [400, error('bad_data', 'limit must be a number')]);
  });

  test('exemplars: none kept; no selector, no content', async () => {
    assert.deepEqual((await get('/api/v1/query_exemplars', { query: `rate(${BYTES}[5m])`, start: String(NOW_S - 60), end: String(NOW_S) })).json, { status: 'success', data: [] });
    const noSelector = await api.inject({ method: 'POST', url: '/api/v1/query_exemplars', ...form({ query: '1 + 1' }) });
    assert.deepEqual([noSelector.statusCode, noSelector.body], [204, '']);
    const bad = await get('/api/v1/query_exemplars', { query: 'x', start: '10', end: '1' });
    assert.deepEqual([bad.status, bad.body], [400, error('bad_data', 'end timestamp must not be before start timestamp')]);
  });

  test('buildinfo names the Prometheus API version followed and Sluice\'s own; format_query', async () => {
    const info = (await get('/api/v1/status/buildinfo')).json;
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.deepEqual(info, { status: 'success', data: { version: '2.42.0', revision: `sluice-${version}`, branch: 'sluice', buildUser: 'sluice', buildDate: '', goVersion: 'none', sluiceVersion: version } });
    assert.deepEqual((await get('/api/v1/format_query', { query: 'sum by(topic)(rate(x{a="b"}[5m]))' })).json, { status: 'success', data: 'sum by (topic) (rate(x{a="b"}[5m]))' });
  });
});
