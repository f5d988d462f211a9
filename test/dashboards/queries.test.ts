/**
 * Every query of every board (panels, template variables, annotations) run against PostgreSQL
 * filled by a real collection run, after the expansion Grafana does (./grafana.ts): each must
 * succeed, give what its panel format needs (a `time` column and numeric values for time
 * series), and return rows, except the few that a short run cannot fill, named below with the
 * reason. Over the 1-minute and 1-hour rollup ranges every query must succeed too, and the
 * gauges must still return rows.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Dashboard, Panel } from '@grafana/schema';
import { parse } from 'yaml';
import { BOARDS } from '../../dashboards/build/index.ts';
import { DATABASE_URL } from '../store/support.ts';
import { collectionRun, type CollectionRun } from './collection-run.ts';
import { boardVariables, grafanaSql, panelSql, SCREEN_PX, type TimeRange, type VariableValue } from './grafana.ts';

const RUN_SECONDS = 26;
const DAY = 86_400_000;

/** Targets a short run leaves empty, by `board / panel / refId`, with why. */
const EMPTY_IN_SHORT_RUN: Readonly<Record<string, string>> = {
  'sluice-topics / Bytes in vs baseline / B': 'the baseline is the mean of the hour ending 15 minutes ago',
  'sluice-topics / Spike ratio / A': 'the baseline is the mean of the hour ending 15 minutes ago',
  // Balance plans and executions are filled by test/dashboards/balance.test.ts.
  'sluice-balance / Latest plan / A': 'the run makes no balance plan',
  'sluice-balance / Per-broker load: before and predicted after / A': 'the run makes no balance plan',
  'sluice-balance / Current execution / A': 'the run executes no balance plan',
  'sluice-balance / Moves of the current execution / A': 'the run executes no balance plan',
};

interface Target { readonly refId: string; readonly rawSql: string; readonly format: string }

// The JSON Grafana loads (schema.test.ts holds it equal to what dashboards/build generates).
const boards: Dashboard[] = await Promise.all(BOARDS.map(async ({ file }) =>
  JSON.parse(await readFile(new URL(`../../dashboards/json/${file}`, import.meta.url), 'utf8')) as Dashboard));
const provisioned = parse(await readFile(new URL('../../dashboards/provisioning/datasources/sluice.yaml', import.meta.url), 'utf8')) as { datasources: { jsonData: { timeInterval: string } }[] };
const MIN_INTERVAL = provisioned.datasources[0]!.jsonData.timeInterval;

function panelsOf(d: Dashboard): Panel[] {
  return (d.panels ?? []).filter((p): p is Panel => p.type !== 'row');
}

function targetsOf(p: Panel): Target[] {
  return (p.targets ?? []) as unknown as Target[];
}

let run: CollectionRun;
const variableValues = new Map<string, Map<string, VariableValue>>();

function evaluateVariables(d: Dashboard, range: TimeRange): Promise<Map<string, VariableValue>> {
  return boardVariables(run.client, d, range, MIN_INTERVAL);
}

/** Runs one target as Grafana would; returns its rows. */
async function runTarget(d: Dashboard, p: Panel, t: Target, range: TimeRange, variables: Map<string, VariableValue>): Promise<Record<string, unknown>[]> {
  const sql = panelSql(p, t.rawSql, range, variables, MIN_INTERVAL);
  let result;
  try {
    result = await run.client.query(sql);
  } catch (err) {
    throw new Error(`${d.uid} / ${p.title} / ${t.refId}: ${(err as Error).message}\n${sql}`, { cause: err });
  }
  if (t.format === 'time_series') {
    const names = result.fields.map((f) => f.name);
    assert.ok(names.includes('time'), `${d.uid} / ${p.title} / ${t.refId}: a time series query needs a column named time, got ${names.join(', ')}`);
    for (const row of result.rows as Record<string, unknown>[]) {
      for (const [k, v] of Object.entries(row)) {
        if (k === 'metric') assert.equal(typeof v, 'string', `${d.uid} / ${p.title}: metric must be text`);
        else if (v !== null) assert.ok(Number.isFinite(Number(v)), `${d.uid} / ${p.title} / ${t.refId}: ${k} = ${String(v)} is not a number`);
      }
    }
  }
  return result.rows as Record<string, unknown>[];
}

describe('dashboards against PostgreSQL filled by a collection run', {
  skip: DATABASE_URL === undefined ? 'DATABASE_URL is unset: the dashboard queries need a real PostgreSQL server (Grafana cannot read PGlite)' : false,
}, () => {
  before(async () => {
    run = await collectionRun(DATABASE_URL!, RUN_SECONDS);
  });
  after(async () => {
    await run?.close();
  });

  /** The short range a person looks at right after the run: raw samples. */
  const shortRange = (): TimeRange => ({ from: run.startedAt - 60_000, to: run.endedAt + 5_000 });

  test('the run filled every table the boards read', (t) => {
    t.diagnostic(JSON.stringify(run.counts));
    for (const [table, n] of Object.entries(run.counts)) {
      assert.ok(n > 0, `${table} is empty after the run`);
    }
  });

  test('every variable query succeeds and lists values', async () => {
    for (const d of boards) {
      const values = await evaluateVariables(d, shortRange());
      variableValues.set(d.uid!, values);
      for (const [name, v] of values) assert.ok(v.options.length > 0, `${d.uid}: variable ${name} lists nothing`);
    }
    assert.deepEqual(variableValues.get('sluice-fleet')!.get('cluster')!.options, ['dash']);
    assert.deepEqual(variableValues.get('sluice-brokers')!.get('broker')!.options, ['0', '1', '2']);
    // Kafka's internal topics (__consumer_offsets) are left out.
    assert.deepEqual(variableValues.get('sluice-topics')!.get('topic')!.options, ['clicks', 'orders']);
    assert.deepEqual(variableValues.get('sluice-consumer-groups')!.get('group')!.options, ['analytics', 'billing']);
    // Without SASL the brokers tag every client's traffic as user ANONYMOUS.
    assert.ok(variableValues.get('sluice-clients')!.get('user')!.options.includes('ANONYMOUS'));
    for (const id of ['analytics', 'billing', 'clickstream', 'core-orders']) {
      assert.ok(variableValues.get('sluice-clients')!.get('client_id')!.options.includes(id), `client-id ${id} missing`);
    }
  });

  test('every panel query returns rows over the raw samples, except the ones a short run cannot fill', async (t) => {
    const range = shortRange();
    const empty: string[] = [];
    let queries = 0;
    let slowest = { ms: 0, what: '' };
    for (const d of boards) {
      const variables = variableValues.get(d.uid!) ?? await evaluateVariables(d, range);
      for (const p of panelsOf(d)) {
        for (const target of targetsOf(p)) {
          const started = performance.now();
          const rows = await runTarget(d, p, target, range, variables);
          const ms = performance.now() - started;
          // A state timeline colours mapped values only: every value must be one of its codes.
          const mapped = p.fieldConfig?.defaults.mappings?.flatMap((m) => (m.type === 'value' ? Object.keys(m.options) : [])) ?? [];
          if (p.type === 'state-timeline') {
            for (const r of rows) assert.ok(mapped.includes(String(r.value)), `${d.uid} / ${p.title}: ${String(r.value)} is none of ${mapped.join(', ')}`);
          }
          if (ms > slowest.ms) slowest = { ms, what: `${d.uid} / ${p.title} / ${target.refId}` };
          queries++;
          if (rows.length === 0) empty.push(`${d.uid} / ${p.title} / ${target.refId}`);
        }
      }
    }
    t.diagnostic(`${queries} queries over ${Math.round((range.to - range.from) / 1000)} s of raw samples; slowest ${slowest.ms.toFixed(0)} ms: ${slowest.what}`);
    assert.deepEqual(empty.sort(), Object.keys(EMPTY_IN_SHORT_RUN).sort());
  });

  test('the event annotations find the broker stop', async () => {
    for (const d of boards) {
      const variables = variableValues.get(d.uid!)!;
      for (const a of d.annotations?.list ?? []) {
        const target = a.target as unknown as Target | undefined;
        if (target?.rawSql === undefined) continue;
        const sql = grafanaSql(target.rawSql, shortRange(), variables, { maxDataPoints: SCREEN_PX, minInterval: MIN_INTERVAL });
        const rows = (await run.client.query<{ text: string }>(sql)).rows;
        assert.ok(rows.some((r) => r.text === 'broker_down: broker 2'), `${d.uid}: ${JSON.stringify(rows)}`);
      }
    }
  });

  /** Rows of one target of one board's panel over `range`. */
  async function rowsOf(uid: string, title: string, refId: string, range: TimeRange, picked: Record<string, string[]> = {}): Promise<Record<string, unknown>[]> {
    const d = boards.find((b) => b.uid === uid)!;
    const p = panelsOf(d).find((x) => x.title === title);
    assert.ok(p !== undefined, `${uid} has no panel ${title}`);
    const target = targetsOf(p).find((x) => x.refId === refId)!;
    const variables = new Map(variableValues.get(uid) ?? await evaluateVariables(d, range));
    for (const [name, current] of Object.entries(picked)) variables.set(name, { ...variables.get(name)!, current });
    return runTarget(d, p, target, range, variables);
  }

  test('picked variable values narrow the panels (multi-value, quoted as Grafana quotes them)', async () => {
    const range = shortRange();
    const legends = async (uid: string, title: string, picked: Record<string, string[]>): Promise<string[]> =>
      [...new Set((await rowsOf(uid, title, 'A', range, picked)).map((r) => String(r.metric)))].sort();
    assert.deepEqual(await legends('sluice-topics', 'Bytes in', {}), ['dash clicks', 'dash orders']);
    assert.deepEqual(await legends('sluice-topics', 'Bytes in', { topic: ['orders'] }), ['dash orders']);
    assert.deepEqual(await legends('sluice-topics', 'Bytes in', { topic: ['orders', 'clicks'] }), ['dash clicks', 'dash orders']);
    assert.deepEqual(await legends('sluice-topics', 'Bytes in', { cluster: ["o'ther"] }), []);
    assert.deepEqual(await legends('sluice-consumer-groups', 'Lag', { group: ['billing'] }), ['dash billing']);
    assert.deepEqual(await legends('sluice-brokers', 'Request handler idle', { broker: ['0', '2'] }), ['dash broker 0', 'dash broker 2']);
    // The brokers tag a client by the quota entity that applies: clickstream's quota is a client-id quota, so no user.
    assert.deepEqual(await legends('sluice-clients', 'Produce rate vs quota', { client_id: ['clickstream'] }), ['(none) / clickstream']);
    // Decisions narrow by their entity: every decision is about one of the workload's client-ids.
    const decided = (await run.client.query<{ c: string }>(`SELECT DISTINCT e->>'entityName' AS c FROM quota_decisions, jsonb_array_elements(entity) e WHERE e->>'entityType' = 'client-id' ORDER BY 1`)).rows.map((r) => r.c);
    assert.ok(decided.length > 0);
    const rowsFor = async (ids: string[]): Promise<number> => (await rowsOf('sluice-throttling', 'Decisions', 'A', range, { client_id: ids })).reduce((n, r) => n + Number(r.value), 0);
    assert.equal(await rowsFor(decided), run.counts.quota_decisions);
    assert.equal(await rowsFor(['no-such-client']), 0);
  });

  test('the values are the ones the run produced', async () => {
    const range = shortRange();
    assert.deepEqual(await rowsOf('sluice-fleet', 'Clusters', 'A', range), [{ metric: 'clusters', value: '1' }]);
    // Broker 2 was stopped before the end.
    assert.deepEqual(await rowsOf('sluice-fleet', 'Brokers up', 'A', range), [{ metric: 'brokers up', value: 2 }]);
    const brokers = await rowsOf('sluice-brokers', 'Brokers', 'A', range);
    assert.deepEqual(brokers.map((r) => [r.broker, r.state]), [['dash broker 0', 'up'], ['dash broker 1', 'up'], ['dash broker 2', 'down']]);
    const up = await rowsOf('sluice-brokers', 'Broker up', 'A', range);
    const last = (legend: string): unknown => up.filter((r) => r.metric === legend).at(-1)?.value;
    // A bucket in which the broker was down at all shows it down.
    assert.deepEqual([last('dash broker 0'), last('dash broker 1'), last('dash broker 2')], [1, 1, 0]);
    // Buckets are multiples of $__interval: the data source's 15 s minimum at this range.
    assert.deepEqual(up.filter((r) => Number(r.time) % 15 !== 0), []);

    // Utilization as the quota loop sees it, for every broker, from the pressure the workload made.
    const utilization = await rowsOf('sluice-brokers', 'Utilization', 'A', range);
    assert.deepEqual([...new Set(utilization.map((r) => r.metric))].sort(), ['dash broker 0', 'dash broker 1', 'dash broker 2']);
    for (const r of utilization) assert.ok(Number(r.value) >= 0 && Number(r.value) < 10, `utilization ${String(r.value)}`);
    assert.ok(utilization.some((r) => Number(r.value) > 0.2), 'no broker under load');

    const firing = (await rowsOf('sluice-alerts', 'Firing over time', 'A', range)).map((r) => r.metric);
    assert.ok(firing.includes('DashboardBrokersAlive'), `firing: ${[...new Set(firing)].join(', ')}`);
    // Every notification went to both webhooks: the one that accepts and the one that answers 400.
    const [sent] = await rowsOf('sluice-alerts', 'Notifications sent', 'A', range);
    const [failed] = await rowsOf('sluice-alerts', 'Notifications failed', 'A', range);
    assert.ok(Number(sent!.value) >= 1);
    assert.equal(failed!.value, sent!.value);

    const statuses = new Set((await rowsOf('sluice-throttling', 'Decisions', 'A', range)).map((r) => r.metric));
    assert.ok(statuses.has('applied'), `decision statuses: ${[...statuses].join(', ')}`);
    const models = await rowsOf('sluice-throttling', 'Load model and capacity per broker', 'A', range);
    assert.deepEqual(models.map((r) => [r.broker, r['capacity in B/s']]), [['0', 300 * 1024], ['1', 300 * 1024], ['2', 300 * 1024]]);
  });

  test('PostgreSQL reads only the tier the range calls for: raw partitions up to 6 h, samples_1m up to 7 days, samples_1h beyond', async () => {
    const d = boards.find((b) => b.uid === 'sluice-brokers')!;
    const p = panelsOf(d).find((x) => x.title === 'Request handler idle')!;
    const to = run.endedAt + 5_000;
    const tablesRead = async (days: number): Promise<string[]> => {
      const range = { from: to - days * DAY, to };
      const sql = grafanaSql(targetsOf(p)[0]!.rawSql, range, variableValues.get(d.uid!)!, { maxDataPoints: 800, minInterval: MIN_INTERVAL });
      const plan = (await run.client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      return [...new Set([...plan.matchAll(/ on (samples(?:_1m|_1h)?)_\d+/g)].map((m) => m[1]!))].sort();
    };
    assert.deepEqual(await tablesRead(0.25), ['samples']);
    assert.deepEqual(await tablesRead(1), ['samples_1m']);
    assert.deepEqual(await tablesRead(30), ['samples_1h']);
  });

  test('long ranges read the rollups: one bucket an hour from samples_1h', async () => {
    const to = run.endedAt + 5_000;
    const rows = await rowsOf('sluice-brokers', 'Request handler idle', 'A', { from: to - 30 * DAY, to });
    assert.ok(rows.length > 0);
    assert.deepEqual(rows.filter((r) => Number(r.time) % 3600 !== 0), []);
    const direct = await run.client.query<{ n: string }>(
      `SELECT count(DISTINCT (h.series_id, h.bucket)) AS n FROM samples_1h h JOIN series s ON s.id = h.series_id JOIN metric m ON m.id = s.metric_id
       WHERE m.name = 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent'`);
    assert.equal(rows.length, Number(direct.rows[0]!.n));
  });

  for (const [tier, days] of [['1-minute', 1], ['1-hour', 30]] as const) {
    test(`over a ${days}-day range every query succeeds on the ${tier} rollup and the gauges return rows`, async () => {
      const range: TimeRange = { from: run.endedAt + 5_000 - days * DAY, to: run.endedAt + 5_000 };
      const empty: string[] = [];
      for (const d of boards) {
        const variables = await evaluateVariables(d, range);
        for (const p of panelsOf(d)) {
          for (const target of targetsOf(p)) {
            const rows = await runTarget(d, p, target, range, variables);
            const key = `${d.uid} / ${p.title} / ${target.refId}`;
            // A counter's rate needs two buckets; a run shorter than a bucket has one.
            if (rows.length === 0 && !target.rawSql.includes('rate of a counter') && !(key in EMPTY_IN_SHORT_RUN)) empty.push(key);
          }
        }
      }
      assert.deepEqual(empty, []);
    });
  }
});
