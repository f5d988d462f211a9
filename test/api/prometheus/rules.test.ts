/**
 * /api/v1/rules and /api/v1/alerts in Prometheus 2.42's shape, from a rules manager evaluating a
 * rule file over a real store: groups with interval and limit, recording and alerting rules,
 * rule states from their alerts, alert values as Go's %e writes them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../../src/clock.ts';
import { RuleManager } from '../../../src/rules/manager.ts';
import type { Store } from '../../../src/store/index.ts';
import { MINUTE, NOW, openFixtureStore, prometheusApi } from './support.ts';

const RULES = `groups:
  - name: traffic
    interval: 1m
    limit: 10
    rules:
      - record: topic:bytesin:rate5m
        expr: sum by(cluster,topic)(rate(kafka_server_brokertopicmetrics_bytesin_total[5m]))
        labels: { source: sluice }
      - alert: TopicTrafficHigh
        expr: topic:bytesin:rate5m > 15
        for: 1m
        labels: { severity: page }
        annotations: { summary: "{{ $labels.topic }} takes {{ $value }} B/s" }
      - alert: TopicTrafficRising
        expr: topic:bytesin:rate5m > 5
        for: 10m
        keep_firing_for: 5m
        labels: { severity: ticket }
      - alert: TopicSilent
        expr: topic:bytesin:rate5m == 0
`;

type Json = Record<string, unknown>;

/** The answer with every evaluationTime (a measured duration) checked to be a number and set to 0. */
function withoutDurations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDurations);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'evaluationTime') assert.equal(typeof v, 'number');
    out[k] = k === 'evaluationTime' ? 0 : withoutDurations(v);
  }
  return out;
}

describe('rules and alerts in Prometheus\'s shape', () => {
  let store: Store;
  let api: FastifyInstance;
  let dir: string;
  let file: string;
  before(async () => {
    store = await openFixtureStore('pglite');
    dir = await mkdtemp(join(tmpdir(), 'sluice-prom-rules-'));
    file = join(dir, 'traffic.yaml');
    await writeFile(file, RULES);
    const rules = new RuleManager({ querier: store.querier, sink: store.writer, clock: new VirtualClock(NOW), registry: new Registry(), externalURL: 'http://sluice:8080' });
    await rules.reload([file]);
    await rules.evaluateAll(NOW - MINUTE);
    await rules.evaluateAll(NOW);
    api = await prometheusApi({ source: store.querier, rules, now: () => NOW });
  });
  after(async () => {
    await api.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const at = '2024-01-01T12:00:00Z';
  const since = '2024-01-01T11:59:00Z';
  const labels = (alertname: string, severity: string, topic: string) => ({ alertname, cluster: 'c1', severity, source: 'sluice', topic });
  const high = { labels: labels('TopicTrafficHigh', 'page', 'payments'), annotations: { summary: 'payments takes 20 B/s' }, state: 'firing', activeAt: since, value: '2e+01' };
  const rising = (topic: string, value: string) => ({ labels: labels('TopicTrafficRising', 'ticket', topic), annotations: {}, state: 'pending', activeAt: since, value });
  const recording = { name: 'topic:bytesin:rate5m', query: 'sum by (cluster, topic) (rate(kafka_server_brokertopicmetrics_bytesin_total[5m]))', labels: { source: 'sluice' }, health: 'ok', evaluationTime: 0, lastEvaluation: at, type: 'recording' };
  const alerting = (name: string, state: string, duration: number, keepFiringFor: number, ruleLabels: Json, annotations: Json, alerts: unknown[]) => ({
    state, name, query: `topic:bytesin:rate5m ${name === 'TopicTrafficHigh' ? '> 15' : name === 'TopicTrafficRising' ? '> 5' : '== 0'}`, duration, keepFiringFor,
    labels: ruleLabels, annotations, alerts, health: 'ok', evaluationTime: 0, lastEvaluation: at, type: 'alerting',
  });
  const group = (rules: unknown[]) => ({ name: 'traffic', file, rules, interval: 60, limit: 10, evaluationTime: 0, lastEvaluation: at });
  const allRules = [
    recording,
    alerting('TopicTrafficHigh', 'firing', 60, 0, { severity: 'page' }, { summary: '{{ $labels.topic }} takes {{ $value }} B/s' }, [high]),
    alerting('TopicTrafficRising', 'pending', 600, 300, { severity: 'ticket' }, {}, [rising('orders', '1e+01'), rising('payments', '2e+01')]),
    alerting('TopicSilent', 'inactive', 0, 0, {}, {}, []),
  ];

  test('/api/v1/rules: groups, rules in file order, each with its alerts', async () => {
    const res = await api.inject({ url: '/api/v1/rules' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(withoutDurations(JSON.parse(res.body)), { status: 'success', data: { groups: [group(allRules)] } });
  });

  test('/api/v1/rules?type= filters, keeping every group', async () => {
    const rulesOf = async (type: string) => withoutDurations(JSON.parse((await api.inject({ url: `/api/v1/rules?type=${type}` })).body));
    assert.deepEqual(await rulesOf('record'), { status: 'success', data: { groups: [group([recording])] } });
    assert.deepEqual(await rulesOf('ALERT'), { status: 'success', data: { groups: [group(allRules.slice(1))] } });
    const bad = await api.inject({ url: '/api/v1/rules?type=recording' });
    assert.deepEqual([bad.statusCode, JSON.parse(bad.body)], [400, { status: 'error', errorType: 'bad_data', error: 'invalid parameter "type": not supported value "recording"' }]);
  });

  test('/api/v1/alerts: pending and firing alerts', async () => {
    const res = await api.inject({ url: '/api/v1/alerts' });
    assert.equal(res.body, JSON.stringify({ status: 'success', data: { alerts: [high, rising('orders', '1e+01'), rising('payments', '2e+01')] } }));
  });
});
