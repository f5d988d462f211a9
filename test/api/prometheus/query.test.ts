/**
 * /api/v1/query and /api/v1/query_range as Prometheus 2.42 answers them: GET and form POST, times
 * as RFC 3339 or Unix seconds, steps as seconds or durations, the exact JSON Prometheus writes,
 * and its error types and statuses (bad_data 400, execution 422, timeout 503), over a real store
 * whose older samples are only in the database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../../src/store/index.ts';
import { BACKENDS } from '../../helpers/backends.ts';
import { form, MINUTE, NOW, NOW_S, openFixtureStore, prometheusApi, qs } from './support.ts';

const BYTES = 'kafka_server_brokertopicmetrics_bytesin_total';
const orders = (value: string, t: string) => `{"metric":{"__name__":"${BYTES}","cluster":"c1","topic":"orders"},"value":[${t},"${value}"]}`;
const payments = (value: string, t: string) => `{"metric":{"__name__":"${BYTES}","cluster":"c1","topic":"payments"},"value":[${t},"${value}"]}`;
const vector = (...samples: string[]) => `{"status":"success","data":{"resultType":"vector","result":[${samples.join(',')}]}}`;
const error = (type: string, message: string) => JSON.stringify({ status: 'error', errorType: type, error: message });

for (const backend of BACKENDS) {
  describe(`a range query over the database and the head (${backend})`, () => {
    let store: Store;
    let api: FastifyInstance;
    before(async () => {
      store = await openFixtureStore(backend);
      api = await prometheusApi({ source: store.querier, now: () => NOW });
    });
    after(async () => {
      await api.close();
      await store.close();
    });

    test('values of the last 90 minutes come from PostgreSQL and the in-memory head alike', async () => {
      // The head keeps one minute: every step but the last reads only stored samples.
      assert.deepEqual(store.head.selectSync([{ name: '__name__', type: '=', value: BYTES }], 0, NOW - 2 * MINUTE), []);
      const res = await api.inject({ url: `/api/v1/query_range?${qs({ query: `${BYTES}{topic="orders"} or sluice_head_only`, start: String(NOW_S - 5400), end: String(NOW_S), step: '30m' })}` });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(res.body, JSON.stringify({
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            { metric: { __name__: BYTES, cluster: 'c1', topic: 'orders' }, values: [[NOW_S - 5400, '18000'], [NOW_S - 3600, '36000'], [NOW_S - 1800, '54000'], [NOW_S, '72000']] },
            { metric: { __name__: 'sluice_head_only', cluster: 'c1' }, values: [[NOW_S, '1']] },
          ],
        },
      }));
    });

    test('rates across the boundary between the two', async () => {
      const res = await api.inject({ method: 'POST', url: '/api/v1/query_range', ...form({ query: `sum by (topic) (rate(${BYTES}[5m]))`, start: '2024-01-01T11:57:00Z', end: '2024-01-01T12:00:00Z', step: '60' }) });
      const values = (v: string) => [0, 1, 2, 3].map((i) => [NOW_S - 180 + 60 * i, v]);
      assert.deepEqual(JSON.parse(res.body), {
        status: 'success',
        data: { resultType: 'matrix', result: [{ metric: { topic: 'orders' }, values: values('10') }, { metric: { topic: 'payments' }, values: values('20') }] },
      });
    });
  });
}

describe('query parameters, results and errors', () => {
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

  const get = (path: string, params: Record<string, string | string[]>) => api.inject({ url: `${path}?${qs(params)}` });

  test('an instant query without time is evaluated now; labels sorted, values as strings', async () => {
    const res = await get('/api/v1/query', { query: BYTES });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, vector(orders('72000', '1704110400'), payments('144000', '1704110400')));
  });

  test('time as Unix seconds, RFC 3339 in UTC or with an offset, and with milliseconds', async () => {
    const at = (time: string) => get('/api/v1/query', { query: `${BYTES}{topic="orders"}`, time }).then((r) => r.body);
    const expected = vector(orders('18000', '1704105000'));
    assert.equal(await at('1704105000'), expected);
    assert.equal(await at('2024-01-01T10:30:00Z'), expected);
    assert.equal(await at('2024-01-01T12:30:00+02:00'), expected);
    assert.equal(await at('2024-01-01T10:30:00.000000001Z'), expected);
    // Prometheus keeps milliseconds (rounding Unix seconds, truncating RFC 3339) and writes three decimals.
    assert.equal(await at('1704105000.5'), vector(orders('18000', '1704105000.500')));
    assert.equal(await at('1704105000.0004'), expected);
    assert.equal(await at('2024-01-01T10:30:00.0459Z'), vector(orders('18000', '1704105000.045')));
  });

  test('POST form bodies, whose values come before the query string\'s', async () => {
    const res = await api.inject({ method: 'POST', url: `/api/v1/query?${qs({ query: 'vector(2)', time: '100' })}`, ...form({ query: `sum(${BYTES})`, time: String(NOW_S) }) });
    assert.equal(res.body, vector(`{"metric":{},"value":[${NOW_S},"216000"]}`));
    const charset = await api.inject({ method: 'POST', url: '/api/v1/query', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, payload: 'query=vector(3)&time=5' });
    assert.equal(charset.body, vector('{"metric":{},"value":[5,"3"]}'));
    // Other bodies, even malformed JSON, carry no parameters: the query string's count.
    const json = await api.inject({ method: 'POST', url: `/api/v1/query?${qs({ query: 'vector(4)', time: '5' })}`, headers: { 'content-type': 'application/json' }, payload: '{"query":' });
    assert.equal(json.body, vector('{"metric":{},"value":[5,"4"]}'));
  });

  test('scalars, strings and special values written as Prometheus writes them', async () => {
    const body = async (query: string) => JSON.parse((await get('/api/v1/query', { query, time: '1.5' })).body).data;
    assert.deepEqual(await body('1e21'), { resultType: 'scalar', result: [1.5, '1000000000000000000000'] });
    assert.deepEqual(await body('0.1 + 0.2'), { resultType: 'scalar', result: [1.5, '0.30000000000000004'] });
    assert.deepEqual(await body('"text"'), { resultType: 'string', result: [1.5, 'text'] });
    const values = async (query: string) => ((await body(query)).result as { value: [number, string] }[]).map((s) => s.value[1]);
    assert.deepEqual(await values('vector(1e21) or label_replace(vector(1.5e-7), "a", "1", "", "") or label_replace(vector(1/0), "a", "2", "", "") or label_replace(vector(-1/0), "a", "3", "", "") or label_replace(vector(0/0), "a", "4", "", "") or label_replace(vector(123456.75), "a", "5", "", "")'), ['1e+21', '1.5e-07', '+Inf', '-Inf', 'NaN', '123456.75']);
    // Sample times keep three decimals when not whole.
    assert.equal((await get('/api/v1/query', { query: 'vector(1)', time: '1.5' })).body, vector('{"metric":{},"value":[1.500,"1"]}'));
  });

  test('a range selector answers a matrix of the stored samples, with their own times', async () => {
    const res = JSON.parse((await get('/api/v1/query', { query: `${BYTES}{topic="payments"}[40s]`, time: String(NOW_S - 3600) })).body);
    assert.deepEqual(res.data, { resultType: 'matrix', result: [{ metric: { __name__: BYTES, cluster: 'c1', topic: 'payments' }, values: [[NOW_S - 3630, '71400'], [NOW_S - 3615, '71700'], [NOW_S - 3600, '72000']] }] });
  });

  test('series come sorted by labels, unless the query sorts them', async () => {
    const topics = async (query: string) => (JSON.parse((await get('/api/v1/query', { query })).body).data.result as { metric: { topic: string } }[]).map((s) => s.metric.topic);
    assert.deepEqual(await topics(`${BYTES}`), ['orders', 'payments']);
    assert.deepEqual(await topics(`sort_desc(${BYTES})`), ['payments', 'orders']);
    assert.deepEqual(await topics(`topk(2, ${BYTES})`), ['payments', 'orders']);
  });

  test('step as seconds or a duration; end not before start; the 11,000 points limit', async () => {
    const range = (params: Record<string, string>) => get('/api/v1/query_range', { query: 'vector(1)', ...params });
    const points = async (params: Record<string, string>) => (JSON.parse((await range(params)).body).data.result[0].values as unknown[]).length;
    assert.equal(await points({ start: '0', end: '600', step: '60' }), 11);
    assert.equal(await points({ start: '0', end: '600', step: '1m' }), 11);
    assert.equal(await points({ start: '0', end: '1', step: '0.25' }), 5);
    assert.equal(await points({ start: '0', end: '11000', step: '1' }), 11001);
    const tooMany = await range({ start: '0', end: '11001', step: '1' });
    assert.equal(tooMany.statusCode, 400);
    assert.equal(tooMany.body, error('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'));
    const cases: [Record<string, string>, string][] = [
      [{ start: 'x', end: '1', step: '1' }, 'invalid parameter "start": cannot parse "x" to a valid timestamp'],
      [{ start: '1', end: '', step: '1' }, 'invalid parameter "end": cannot parse "" to a valid timestamp'],
      [{ start: '10', end: '1', step: '1' }, 'invalid parameter "end": end timestamp must not be before start time'],
      [{ start: '1', end: '10', step: 'x' }, 'invalid parameter "step": cannot parse "x" to a valid duration'],
      [{ start: '1', end: '10', step: '0' }, 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer'],
      [{ start: '1', end: '10', step: '-5s' }, 'invalid parameter "step": cannot parse "-5s" to a valid duration'],
      [{ start: '2024-02-30T00:00:00Z', end: '10', step: '1' }, 'invalid parameter "start": cannot parse "2024-02-30T00:00:00Z" to a valid timestamp'],
      [{ start: '1', end: '10', step: '1', timeout: 'soon' }, 'invalid parameter "timeout": cannot parse "soon" to a valid duration'],
      [{ start: '1', end: '10', step: '1', limit: 'x' }, 'invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax'],
    ];
    for (const [params, message] of cases) {
      const res = await range(params);
      assert.deepEqual([res.statusCode, res.body], [400, error('bad_data', message)], JSON.stringify(params));
    }
  });

  test('parse errors are bad_data with the position; a range vector is no range query', async () => {
    const instant = await get('/api/v1/query', { query: 'sum(rate(x[5m])' });
    assert.deepEqual([instant.statusCode, instant.body], [400, error('bad_data', 'invalid parameter "query": 1:16: parse error: unexpected end of input')]);
    const empty = await get('/api/v1/query', {});
    assert.equal(empty.body, error('bad_data', 'invalid parameter "query": 1:1: parse error: no expression found in input'));
    const range = await get('/api/v1/query_range', { query: 'x{', start: '1', end: '2', step: '1' });
    assert.deepEqual([range.statusCode, range.body], [400, error('bad_data', '1:3: parse error: unexpected end of input')]);
    const matrix = await get('/api/v1/query_range', { query: 'x[5m]', start: '1', end: '2', step: '1' });
    assert.deepEqual([matrix.statusCode, matrix.body], [400, error('bad_data', 'invalid expression type "range vector" for range query, must be Scalar or instant Vector')]);
    const time = await get('/api/v1/query', { query: '1', time: 'yesterday' });
    assert.deepEqual([time.statusCode, time.body], [400, error('bad_data', 'invalid parameter "time": Invalid time value for \'time\': cannot parse "yesterday" to a valid timestamp')]);
  });

  test('what Prometheus refuses while evaluating is execution (422)', async () => {
    const res = await get('/api/v1/query', { query: `${BYTES} * on (cluster) kafka_consumergroup_lag` });
    assert.equal(res.statusCode, 422);
    const body = JSON.parse(res.body) as { status: string; errorType: string; error: string };
    assert.deepEqual([body.status, body.errorType], ['error', 'execution']);
    assert.match(body.error, /many-to-many matching not allowed/);
  });

  test('a query past its timeout is timeout (503)', async () => {
    for (const path of ['/api/v1/query', '/api/v1/query_range']) {
      const res = await get(path, { query: BYTES, timeout: '0', start: '1', end: '2', step: '1' });
      assert.deepEqual([res.statusCode, res.body], [503, error('timeout', 'query timed out in expression evaluation')], path);
    }
  });

  test('limit keeps the first series and says so', async () => {
    const res = JSON.parse((await get('/api/v1/query', { query: BYTES, limit: '1' })).body);
    assert.deepEqual(res.data.result.map((s: { metric: { topic: string } }) => s.metric.topic), ['orders']);
    assert.deepEqual(res.warnings, ['results truncated due to limit']);
    const all = JSON.parse((await get('/api/v1/query', { query: BYTES, limit: '2' })).body);
    assert.deepEqual([all.data.result.length, all.warnings], [2, undefined]);
  });

  test('the server\'s sample budget: more is execution (422), as Prometheus words it', async () => {
    const small = await prometheusApi({ source: store.querier, now: () => NOW, maxSamples: 100 });
    try {
      const ok = await small.inject({ url: `/api/v1/query?${qs({ query: `count_over_time(${BYTES}[10m])` })}` });
      assert.equal(ok.statusCode, 200, ok.body);
      const res = await small.inject({ url: `/api/v1/query?${qs({ query: `count_over_time(${BYTES}[30m])` })}` });
      assert.deepEqual([res.statusCode, res.body], [422, error('execution', 'query processing would load too many samples into memory in query execution')]);
    } finally {
      await small.close();
    }
  });

  test('one evaluation step may not hold the process longer than the server allows', async () => {
    const strict = await prometheusApi({ source: store.querier, now: () => NOW, maxBlockMs: 0 });
    try {
      const res = await strict.inject({ url: `/api/v1/query?${qs({ query: 'vector(1)' })}` });
      assert.deepEqual([res.statusCode, res.body], [503, error('timeout', 'query timed out in expression evaluation: evaluation ran 0s without a break, the most one step of a query may; shorten its subquery ranges or lengthen their steps')]);
    } finally {
      await strict.close();
    }
  });

  test('the server\'s longest timeout wins over a longer one asked for', async () => {
    const strict = await prometheusApi({ source: store.querier, now: () => NOW, maxTimeoutMs: 0 });
    try {
      const res = await strict.inject({ url: `/api/v1/query?${qs({ query: '1', timeout: '1h' })}` });
      assert.deepEqual([res.statusCode, res.body], [503, error('timeout', 'query timed out in expression evaluation')]);
    } finally {
      await strict.close();
    }
  });
});
