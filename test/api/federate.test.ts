/**
 * GET /federate over a real store (PGlite in memory, or PostgreSQL at DATABASE_URL): Prometheus's
 * own federation scenarios (web/federate_test.go, v2.42) over the same series, each with a
 * `cluster` label as every stored series has, answered from the head and, for the same data read
 * back from the database, from PostgreSQL; the text format's escaping and float formatting; and
 * the 400s of a request without `match[]` or with a bad selector.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApi } from '../../src/api/server.ts';
import { federateRoutes } from '../../src/api/routes/federate.ts';
import { escapeLabelValue, formatSampleValue, writeExposition } from '../../src/api/federate/exposition.ts';
import { STALE_NAN } from '../../src/rules/promql/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import type { Querier, Sample } from '../../src/store/types.ts';
import { BACKENDS, storeLocation } from '../helpers/backends.ts';
import { timeAt } from '../helpers/clock.ts';

const MINUTE = 60_000;
/** Prometheus's test evaluates at 101 min after its first sample; here after BASE. */
const BASE = Date.UTC(2024, 2, 10, 10, 0, 0);
const NOW = BASE + 101 * MINUTE;

/** Prometheus's test data, `load 1m` from BASE, every series with cluster="c1". */
function samples(): Sample[] {
  const out: Sample[] = [];
  const series = (metric: string, labels: Record<string, string>, count: number, value: (i: number) => number) => {
    for (let i = 0; i < count; i++) out.push({ metric, labels: { cluster: 'c1', ...labels }, ts: BASE + i * MINUTE, value: value(i) });
  };
  series('test_metric1', { foo: 'bar', instance: 'i' }, 101, (i) => i * 100);
  series('test_metric1', { foo: 'boo', instance: 'i' }, 101, () => 1);
  series('test_metric2', { foo: 'boo', instance: 'i' }, 101, () => 1);
  series('test_metric_without_labels', {}, 101, (i) => 1 + 10 * i);
  series('test_metric_stale', {}, 100, (i) => 1 + 10 * i);
  out.push({ metric: 'test_metric_stale', labels: { cluster: 'c1' }, ts: BASE + 100 * MINUTE, value: STALE_NAN });
  series('test_metric_old', {}, 99, (i) => 1 + 10 * i);
  return out.sort((a, b) => a.ts - b.ts);
}

const T = String(BASE + 100 * MINUTE);
/**
 * Prometheus's expected bodies, with `cluster="c1"` added and labels in name order (`instance=""`
 * included). Scenarios that see test_metric_stale are asked of the head only: PostgreSQL's float8
 * has one NaN, so a staleness marker read back from the database is a plain NaN (federation
 * reads the lookback window from the head, which keeps markers).
 */
const SCENARIOS: Record<string, { params: string; body: string; headOnly?: true }> = {
  'match nothing': { params: 'match[]=does_not_match_anything', body: '' },
  test_metric1: {
    params: 'match[]=test_metric1',
    body: `# TYPE test_metric1 untyped\ntest_metric1{cluster="c1",foo="bar",instance="i"} 10000 ${T}\ntest_metric1{cluster="c1",foo="boo",instance="i"} 1 ${T}\n`,
  },
  test_metric_without_labels: {
    params: 'match[]=test_metric_without_labels',
    body: `# TYPE test_metric_without_labels untyped\ntest_metric_without_labels{cluster="c1",instance=""} 1001 ${T}\n`,
  },
  'a series whose newest sample is a staleness marker is not served': { params: 'match[]=test_metric_stale', body: '', headOnly: true },
  'an older sample within the lookback is served with its own time': {
    params: 'match[]=test_metric_old',
    body: `# TYPE test_metric_old untyped\ntest_metric_old{cluster="c1",instance=""} 981 ${BASE + 98 * MINUTE}\n`,
  },
  "{foo='boo'}": {
    params: "match[]={foo='boo'}",
    body: `# TYPE test_metric1 untyped\ntest_metric1{cluster="c1",foo="boo",instance="i"} 1 ${T}\n# TYPE test_metric2 untyped\ntest_metric2{cluster="c1",foo="boo",instance="i"} 1 ${T}\n`,
  },
  'two matchers with overlap: each series once': {
    params: "match[]={__name__=~'test_metric1'}&match[]={foo='bar'}",
    body: `# TYPE test_metric1 untyped\ntest_metric1{cluster="c1",foo="bar",instance="i"} 10000 ${T}\ntest_metric1{cluster="c1",foo="boo",instance="i"} 1 ${T}\n`,
  },
  everything: {
    params: "match[]={__name__=~'.%2b'}",
    body: [
      `# TYPE test_metric1 untyped\ntest_metric1{cluster="c1",foo="bar",instance="i"} 10000 ${T}\ntest_metric1{cluster="c1",foo="boo",instance="i"} 1 ${T}\n`,
      `# TYPE test_metric2 untyped\ntest_metric2{cluster="c1",foo="boo",instance="i"} 1 ${T}\n`,
      `# TYPE test_metric_old untyped\ntest_metric_old{cluster="c1",instance=""} 981 ${BASE + 98 * MINUTE}\n`,
      `# TYPE test_metric_without_labels untyped\ntest_metric_without_labels{cluster="c1",instance=""} 1001 ${T}\n`,
    ].join(''),
    headOnly: true,
  },
  "empty label value matches everything that doesn't have that label": {
    params: "match[]={foo='',__name__=~'.%2b'}",
    body: `# TYPE test_metric_old untyped\ntest_metric_old{cluster="c1",instance=""} 981 ${BASE + 98 * MINUTE}\n# TYPE test_metric_without_labels untyped\ntest_metric_without_labels{cluster="c1",instance=""} 1001 ${T}\n`,
    headOnly: true,
  },
};

async function apiOver(querier: Querier): Promise<FastifyInstance> {
  return buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(app) => federateRoutes(app, { querier, now: () => NOW })] });
}

for (const backend of BACKENDS) {
  describe(`GET /federate (${backend})`, () => {
    let store: Store;
    let fromHead: FastifyInstance;
    let fromDb: FastifyInstance;
    const location = storeLocation(backend);
    before(async () => {
      store = await openStore(location, { clock: timeAt(NOW), registry: new Registry() });
      await store.writer.write(samples());
      await store.writer.flush();
      fromHead = await apiOver(store.querier);
      // The store's PostgreSQL querier is not a windowed one: the same answers from the database.
      fromDb = await apiOver(store.history);
    });
    after(async () => {
      await fromHead?.close();
      await fromDb?.close();
      if ('schema' in location) await store?.db.exec(`DROP SCHEMA IF EXISTS ${location.schema} CASCADE`);
      await store?.close();
    });

    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      test(`${name}: as Prometheus answers it, from the head${scenario.headOnly ? '' : ' and from the database'}`, async () => {
        for (const api of scenario.headOnly ? [fromHead] : [fromHead, fromDb]) {
          const res = await api.inject({ method: 'GET', url: `/federate?${scenario.params}` });
          assert.equal(res.statusCode, 200, res.body);
          assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
          assert.equal(res.body, scenario.body);
        }
      });
    }
  });
}

describe('GET /federate: bad requests', () => {
  let api: FastifyInstance;
  before(async () => {
    api = await apiOver({ select: async () => [] });
  });
  after(async () => api?.close());

  const CASES: [query: string, error: string][] = [
    ['', 'query.match[]: expected at least one series selector, e.g. query.match[]={__name__=~"kafka_.*"} or kafka_consumergroup_group_lag{group="billing"}'],
    ['match[]=not-a-valid-metric-name', 'query.match[]: expected a series selector such as {__name__=~"kafka_.*"} or kafka_consumergroup_group_lag{group="billing"}, got an expression: "not-a-valid-metric-name"'],
    ['match[]=lag%5B5m%5D', 'query.match[]: expected a series selector such as {__name__=~"kafka_.*"} or kafka_consumergroup_group_lag{group="billing"}, got a range selector: "lag[5m]"'],
    ['match[]=lag%20offset%201m', 'query.match[]: expected a series selector such as {__name__=~"kafka_.*"} or kafka_consumergroup_group_lag{group="billing"}, got a selector with a modifier: "lag offset 1m"'],
    ['match[]=%7B%7D', 'query.match[]: expected a series selector such as {__name__=~"kafka_.*"} or kafka_consumergroup_group_lag{group="billing"}: 1:1: vector selector must contain at least one non-empty matcher'],
    ['match[]=up&match[]=sum(', 'query.match[][1]: expected a series selector such as {__name__=~"kafka_.*"} or kafka_consumergroup_group_lag{group="billing"}: 1:5: unexpected end of input'],
  ];
  for (const [query, error] of CASES) {
    test(`?${query}: 400 naming the parameter`, async () => {
      const res = await api.inject({ method: 'GET', url: `/federate?${query}` });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), { error, code: 'SLUICE_ERR_API_REQUEST', path: error.slice(0, error.indexOf(':')) });
    });
  }
});

describe('the text format', () => {
  test('values as Go writes a float64 (expfmt writeFloat)', () => {
    const cases: [number, string][] = [
      [0, '0'], [-0, '0'], [1, '1'], [-1, '-1'], [0.1, '0.1'], [123456, '123456'], [1e6, '1e+06'], [1234567.5, '1.2345675e+06'],
      [1.5e-5, '1.5e-05'], [0.0001, '0.0001'], [2 ** 53, '9.007199254740992e+15'], [-273.15, '-273.15'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
    ];
    assert.deepEqual(cases.map(([v]) => [v, formatSampleValue(v)]), cases);
  });

  test('label values escaped; extra labels added where missing; nameless series left out; families in name order', () => {
    assert.equal(escapeLabelValue('a"b\\c\nd <script>é'), 'a\\"b\\\\c\\nd <script>é');
    const text = writeExposition([
      { metric: { __name__: 'lag', cluster: 'c1', group: 'say "hi"\\\n' }, ts: 1000.4, value: 5 },
      { metric: { __name__: 'b_metric', zone: 'z', cluster: 'c1', instance: 'i1' }, ts: 2000, value: 0.25 },
      { metric: { cluster: 'c1' }, ts: 3000, value: 1 },
      { metric: { __name__: 'lag', cluster: 'c0', group: 'a', empty: '' }, ts: 4000, value: -Infinity },
    ], { instance: '', region: 'eu' });
    assert.equal(text, [
      '# TYPE b_metric untyped',
      'b_metric{cluster="c1",instance="i1",region="eu",zone="z"} 0.25 2000',
      '# TYPE lag untyped',
      'lag{cluster="c0",group="a",instance="",region="eu"} -Inf 4000',
      'lag{cluster="c1",group="say \\"hi\\"\\\\\\n",instance="",region="eu"} 5 1000',
      '',
    ].join('\n'));
  });
});
