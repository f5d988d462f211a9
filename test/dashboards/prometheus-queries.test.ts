/**
 * Every query of every Prometheus board (panels, template variables, the annotation) sent to
 * Sluice's Prometheus API as Grafana's Prometheus data source sends it (./grafana-prometheus.ts):
 * variables as label look-ups, panels as form-encoded POSTs to query_range (query for stat and
 * table panels). The service reads the store a real collection run filled (the run of the
 * PostgreSQL board tests, ./collection-run.ts), started afresh over it without collectors or
 * rules, so that nothing changes while the queries run: it answers from the head it warmed from
 * PostgreSQL, as after a restart. Each query must succeed and return the series its panel is
 * meant to show: for a time series panel with a twin on the PostgreSQL board, the same legends as
 * the twin's SQL gives over the same data.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Dashboard, Panel, VariableModel } from '@grafana/schema';
import { parse } from 'yaml';
import { BOARDS, PROM_BOARDS } from '../../dashboards/build/index.ts';
import { buildApp, type App } from '../../src/app.ts';
import { parseSluiceConfig } from '../../src/app-config.ts';
import { DATABASE_URL } from '../store/support.ts';
import { collectionRun, type CollectionRun } from './collection-run.ts';
import { boardVariables, panelSql, parseInterval, type TimeRange, type VariableValue } from './grafana.ts';
import { labelValuesRequest, maxDataPointsOf, renderLegend, targetRequest, type PromRequest, type PromTarget } from './grafana-prometheus.ts';

const RUN_SECONDS = 16;
const DAY = 86_400_000;

/**
 * Panels of alerts, which may be pending or firing for less than a step: one that lived between
 * two steps is in the SQL's buckets but at none of Prometheus's steps. Their series must be among
 * the twin's.
 */
const TRANSIENT = new Set(['sluice-alerts-prom / Firing over time', 'sluice-alerts-prom / Firing by severity', 'sluice-alerts-prom / Pending over time']);

/** Targets a short run leaves empty, by `board / panel / refId`, with why. */
const EMPTY_IN_SHORT_RUN: Readonly<Record<string, string>> = {
  'sluice-topics-prom / Bytes in vs baseline / B': 'the baseline is the mean of the hour ending 15 minutes ago',
  'sluice-topics-prom / Spike ratio / A': 'the baseline is the mean of the hour ending 15 minutes ago',
};

const readBoards = (dir: string, files: readonly { file: string }[]): Promise<Dashboard[]> => Promise.all(files.map(async ({ file }) =>
  JSON.parse(await readFile(new URL(`../../dashboards/${dir}/${file}`, import.meta.url), 'utf8')) as Dashboard));
const boards = await readBoards('json-prometheus', PROM_BOARDS);
const pgBoards = await readBoards('json', BOARDS);
const jsonDataOf = async (file: string): Promise<{ timeInterval: string }> =>
  (parse(await readFile(new URL(`../../dashboards/provisioning/datasources/${file}`, import.meta.url), 'utf8')) as { datasources: { jsonData: { timeInterval: string } }[] }).datasources[0]!.jsonData;
const SCRAPE = (await jsonDataOf('sluice-prometheus.yaml')).timeInterval;
const PG_MIN_INTERVAL = (await jsonDataOf('sluice.yaml')).timeInterval;

type Labels = Record<string, string>;
interface Series { readonly metric: Labels; readonly values?: [number, string][]; readonly value?: [number, string] }

const panelsOf = (d: Dashboard): Panel[] => (d.panels ?? []).filter((p): p is Panel => p.type !== 'row');
const targetsOf = (p: Panel): PromTarget[] => (p.targets ?? []) as unknown as PromTarget[];
/** The PostgreSQL board a Prometheus board is the variant of. */
const twinOf = (d: Dashboard): Dashboard | undefined => pgBoards.find((b) => `${b.uid}-prom` === d.uid);

let run: CollectionRun;
let app: App;
const variableValues = new Map<string, Map<string, VariableValue>>();

/** Sends a request as Grafana's data source does; the envelope must say success. */
async function send(req: PromRequest): Promise<unknown> {
  const params = new URLSearchParams(req.params.map(([k, v]) => [k, v]));
  const res = req.method === 'GET'
    ? await fetch(`${app.apiUrl!}${req.path}?${params.toString()}`)
    : await fetch(`${app.apiUrl!}${req.path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params.toString() });
  const body = (await res.json()) as { status: string; data: unknown; error?: string };
  assert.deepEqual([res.status, body.status, body.error], [200, 'success', undefined], `${req.path} ${JSON.stringify(req.params)}`);
  return body.data;
}

/** A board's variables, each looked up with the ones before it at All, as Grafana loads them. */
async function evaluateVariables(d: Dashboard, range: TimeRange): Promise<Map<string, VariableValue>> {
  const values = new Map<string, VariableValue>();
  for (const v of (d.templating?.list ?? []) as VariableModel[]) {
    const options = (await send(labelValuesRequest(String(v.query), values, range)) as string[]).sort();
    values.set(v.name, { multi: v.multi === true, includeAll: v.includeAll === true, current: ['$__all'], options, ...(v.allValue === undefined ? {} : { allValue: v.allValue }) });
  }
  return values;
}

/** The series one target of a panel gives over `range`, with `picked` values instead of All. */
async function seriesOfTarget(d: Dashboard, p: Panel, target: PromTarget, range: TimeRange, picked: Record<string, string[]> = {}): Promise<Series[]> {
  const variables = new Map(variableValues.get(d.uid!) ?? await evaluateVariables(d, range));
  for (const [name, current] of Object.entries(picked)) variables.set(name, { ...variables.get(name)!, current });
  const data = await send(targetRequest(target, range, variables, maxDataPointsOf(p), SCRAPE)) as { resultType: string; result: Series[] };
  assert.equal(data.resultType, target.instant === true ? 'vector' : 'matrix', `${d.uid} / ${p.title} / ${target.refId}`);
  return data.result;
}

/** A target of a board's panel (the first panel of that title: a stat and a table may share one). */
function targetOf(uid: string, title: string, refId: string): { d: Dashboard; p: Panel; target: PromTarget } {
  const d = boards.find((b) => b.uid === uid)!;
  const p = panelsOf(d).find((x) => x.title === title);
  assert.ok(p !== undefined, `${uid} has no panel ${title}`);
  const target = targetsOf(p).find((t) => t.refId === refId);
  assert.ok(target !== undefined, `${uid} / ${title} has no query ${refId}`);
  return { d, p, target };
}

/** The series of a target. */
function seriesOf(uid: string, title: string, refId: string, range: TimeRange, picked: Record<string, string[]> = {}): Promise<Series[]> {
  const { d, p, target } = targetOf(uid, title, refId);
  return seriesOfTarget(d, p, target, range, picked);
}

/** The legends a target's series get. */
async function legendsOf(uid: string, title: string, refId: string, range: TimeRange, picked: Record<string, string[]> = {}): Promise<string[]> {
  const format = targetOf(uid, title, refId).target.legendFormat!;
  return [...new Set((await seriesOf(uid, title, refId, range, picked)).map((s) => renderLegend(format, s.metric)))].sort();
}

/** The last (or first) value of each series of a target, by legend. */
async function lastValues(uid: string, title: string, refId: string, range: TimeRange, which: 'first' | 'last' = 'last'): Promise<Record<string, number>> {
  const format = targetOf(uid, title, refId).target.legendFormat ?? '';
  const out: Record<string, number> = {};
  for (const s of await seriesOf(uid, title, refId, range)) out[renderLegend(format, s.metric)] = Number((s.value ?? s.values!.at(which === 'first' ? 0 : -1)!)[1]);
  return out;
}

describe('Prometheus boards against Sluice\'s Prometheus API over a collection run', {
  skip: DATABASE_URL === undefined ? 'DATABASE_URL is unset: the collection run stores into a real PostgreSQL server' : false,
}, () => {
  before(async () => {
    run = await collectionRun(DATABASE_URL!, RUN_SECONDS);
    const config = parseSluiceConfig({
      store: { url: DATABASE_URL, schema: run.schema }, clusters: [{ name: 'dash', bootstrap: ['127.0.0.1:1'] }],
      api: { port: 0 }, rules: { files: [] }, throttle: { mode: 'off' },
    });
    app = buildApp(config, { collectors: () => [], jitter: 0 });
    await app.start();
  });
  after(async () => {
    await app?.stop();
    await run?.close();
  });

  /**
   * The short range a person looks at right after the run, ending a second after the first step
   * (of the data source's interval, every panel's step over this range) past the run's end, so
   * that the last step of every panel sees the run's last samples.
   */
  const shortRange = (): TimeRange => {
    const step = parseInterval(SCRAPE);
    return { from: run.startedAt - 60_000, to: Math.ceil(run.endedAt / step) * step + 1_000 };
  };

  test('every variable lists what the PostgreSQL board\'s lists, internal topics left out', async () => {
    for (const d of boards) {
      const values = await evaluateVariables(d, shortRange());
      variableValues.set(d.uid!, values);
      const sql = await boardVariables(run.client, twinOf(d)!, shortRange(), PG_MIN_INTERVAL);
      for (const [name, v] of values) {
        assert.ok(v.options.length > 0, `${d.uid}: variable ${name} lists nothing`);
        // The SQL variables list a missing user or severity as '' ((none)); label values cannot.
        assert.deepEqual(v.options, sql.get(name)!.options.filter((o) => o !== '').sort(), `${d.uid}: variable ${name}`);
      }
    }
    const of = (uid: string, name: string): readonly string[] => variableValues.get(uid)!.get(name)!.options;
    assert.deepEqual(of('sluice-fleet-prom', 'cluster'), ['dash']);
    assert.deepEqual(of('sluice-brokers-prom', 'broker'), ['0', '1', '2']);
    assert.deepEqual(of('sluice-topics-prom', 'topic'), ['clicks', 'orders']);
    assert.deepEqual(of('sluice-consumer-groups-prom', 'group'), ['analytics', 'billing']);
    assert.deepEqual(of('sluice-clients-prom', 'user'), ['ANONYMOUS']);
    for (const id of ['analytics', 'billing', 'clickstream', 'core-orders']) assert.ok(of('sluice-clients-prom', 'client_id').includes(id), `client-id ${id} missing`);
    // The run's own rules; the shipped packs may add others (a broker down pages).
    for (const severity of ['info', 'warning']) assert.ok(of('sluice-alerts-prom', 'severity').includes(severity), `severity ${severity} missing`);
  });

  test('every panel query succeeds and shows the series its PostgreSQL twin shows', async (t) => {
    const range = shortRange();
    const empty: string[] = [];
    let queries = 0;
    for (const d of boards) {
      const twin = twinOf(d)!;
      const sqlVariables = await boardVariables(run.client, twin, range, PG_MIN_INTERVAL);
      for (const p of panelsOf(d)) {
        for (const target of targetsOf(p)) {
          const key = `${d.uid} / ${p.title} / ${target.refId}`;
          const series = await seriesOfTarget(d, p, target, range);
          queries++;
          if (series.length === 0) empty.push(key);
          const twinPanel = panelsOf(twin).find((x) => x.title === p.title && x.type === p.type);
          const sql = (twinPanel?.targets ?? []).find((x) => x.refId === target.refId) as { rawSql: string; format: string } | undefined;
          if (target.instant === true || sql?.format !== 'time_series') continue;
          const rows = (await run.client.query<{ metric: string }>(panelSql(twinPanel!, sql.rawSql, range, sqlVariables, PG_MIN_INTERVAL))).rows;
          const legends = [...new Set(series.map((s) => renderLegend(target.legendFormat!, s.metric)))].sort();
          const twinLegends = [...new Set(rows.map((r) => r.metric))].sort();
          if (TRANSIENT.has(`${d.uid} / ${p.title}`)) assert.deepEqual(legends.filter((l) => !twinLegends.includes(l)), [], key);
          else assert.deepEqual(legends, twinLegends, key);
        }
      }
    }
    t.diagnostic(`${queries} queries over ${Math.round((range.to - range.from) / 1000)} s`);
    assert.deepEqual(empty.sort(), Object.keys(EMPTY_IN_SHORT_RUN).sort());
  });

  test('the values are the ones the run produced', async () => {
    const range = shortRange();
    assert.deepEqual(await lastValues('sluice-fleet-prom', 'Clusters', 'A', range), { clusters: 1 });
    // Broker 2 was stopped before the end.
    assert.deepEqual(await lastValues('sluice-fleet-prom', 'Brokers up', 'A', range), { 'brokers up': 2 });
    assert.deepEqual(await lastValues('sluice-brokers-prom', 'Broker up', 'A', range), { 'dash broker 0': 1, 'dash broker 1': 1, 'dash broker 2': 0 });
    const state = (await seriesOf('sluice-brokers-prom', 'Brokers', 'A', range)).map((s) => [s.metric.broker, s.value![1]]);
    assert.deepEqual(state, [['0', '1'], ['1', '1'], ['2', '0']]);
    // The collection run's cluster: 300 KiB/s of network-in capacity per broker.
    assert.deepEqual(await lastValues('sluice-brokers-prom', 'Traffic in vs capacity', 'C', range), { 'dash broker 0 capacity': 307_200, 'dash broker 1 capacity': 307_200, 'dash broker 2 capacity': 307_200 });
    const utilization = await seriesOf('sluice-brokers-prom', 'Utilization', 'A', range);
    const points = utilization.flatMap((s) => s.values!.map(([, v]) => Number(v)));
    assert.ok(points.every((v) => v >= 0 && v < 10), `utilization ${points.join()}`);
    // Each point is the largest of the three signals, each asked for alone over the panel's own
    // range, step and rate window: handlers busy, bytes in (produce + replication) over network-in
    // capacity, bytes out over network-out capacity.
    const { d: brokersBoard, p: panel, target } = targetOf('sluice-brokers-prom', 'Utilization', 'A');
    const request = targetRequest(target, range, variableValues.get(brokersBoard.uid!)!, maxDataPointsOf(panel), SCRAPE);
    const param = (name: string): string => request.params.find(([k]) => k === name)![1];
    const window = /\[(\w+)\]\)/.exec(param('query'))![1];
    const network = (d: 'in' | 'out'): string => `(sum by (broker) (rate(kafka_server_brokertopicmetrics_bytes${d}_total{topic=""}[${window}])) + sum by (broker) (rate(kafka_server_brokertopicmetrics_replicationbytes${d}_total[${window}])))`
      + ` / on (broker) max by (broker) (sluice_broker_network_capacity_bytes_per_second{direction="${d}"})`;
    const signals = ['1 - avg by (broker) (kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent)', network('in'), network('out')];
    const largest = new Map<string, number>();
    for (const query of signals) {
      const data = await send({ method: 'GET', path: '/api/v1/query_range', params: [['query', query], ['start', param('start')], ['end', param('end')], ['step', param('step')]] }) as { result: Series[] };
      for (const s of data.result) for (const [at, v] of s.values!) {
        const key = `${s.metric.broker} ${at}`;
        largest.set(key, Math.max(largest.get(key) ?? -Infinity, Number(v)));
      }
    }
    const shown = utilization.flatMap((s) => s.values!.map(([at, v]) => [`${s.metric.broker} ${at}`, Number(Number(v).toPrecision(9))] as const)).sort();
    assert.deepEqual(shown, [...largest].map(([k, v]) => [k, Number(v.toPrecision(9))] as const).sort());
    // The run's producers write ~190 KiB/s per broker with replication, of 300 KiB/s; over a
    // 1-minute rate window of a run shorter than that, some broker still shows a tenth.
    assert.ok(points.some((v) => v > 0.1), `no broker under load: ${points.join()}`);

    const partitions = (await seriesOf('sluice-topics-prom', 'Topics', 'A', range)).map((s) => [s.metric.topic, s.value![1]]);
    assert.deepEqual(partitions, [['clicks', '3'], ['orders', '3']]);
    assert.deepEqual(await legendsOf('sluice-consumer-groups-prom', 'Lag', 'A', range), ['dash analytics', 'dash billing']);
    const byStatus = await seriesOf('sluice-consumer-groups-prom', 'Groups by status', 'A', range);
    assert.equal(byStatus.reduce((n, s) => n + Number(s.value![1]), 0), 2);

    // The quotas the run set: clickstream's producer_byte_rate (a client-id quota, so no user) and analytics' consumer_byte_rate.
    // The run applies one recommendation of the quota loop (a decrease: its target is 30%), on a
    // busy machine perhaps before the first collection: every value is the 120 KiB/s set, or that
    // lowered once by at most the loop's largest step (×0.5).
    const produceQuota = await seriesOf('sluice-clients-prom', 'Produce rate vs quota', 'B', range);
    assert.deepEqual(produceQuota.map((q) => q.metric.client_id), ['clickstream']);
    const quotaValues = [...new Set(produceQuota[0]!.values!.map(([, v]) => Number(v)))];
    assert.ok(quotaValues.length <= 2 && quotaValues.every((v) => v >= 60 * 1024 && v <= 120 * 1024) && (quotaValues.length === 1 || quotaValues[0] === 120 * 1024), `clickstream's quota went ${quotaValues.join(' → ')}`);
    assert.deepEqual(await lastValues('sluice-clients-prom', 'Fetch rate vs quota', 'B', range, 'first'), { '(none) / analytics quota': 10 * 1024 * 1024 });
    // The quota holds clickstream back while the workload runs (DashboardClientNearQuota fires above 0.5).
    const near = (await seriesOf('sluice-clients-prom', 'Quota utilization', 'A', range)).find((s) => s.metric.client_id === 'clickstream' && s.metric.quota === 'producer_byte_rate');
    assert.ok(near !== undefined && near.metric.user === '(none)' && near.values!.some(([, v]) => Number(v) > 0.5), JSON.stringify(near));

    // Firing alerts agree with the rules engine's alert state, and each became active during the run.
    const firing = (await run.client.query<{ n: string }>(`SELECT count(*) AS n FROM alert_state WHERE state = 'firing'`)).rows[0]!.n;
    assert.deepEqual(await lastValues('sluice-alerts-prom', 'Firing', 'A', range), { firing: Number(firing) });
    const active = await seriesOf('sluice-alerts-prom', 'Active alerts', 'A', range);
    assert.ok(active.some((s) => s.metric.alertname === 'DashboardBrokersAlive' && s.metric.alertstate === 'firing'), JSON.stringify(active.map((s) => s.metric)));
    for (const s of active) assert.ok(Number(s.value![1]) >= run.startedAt && Number(s.value![1]) <= run.endedAt, `${s.metric.alertname} active since ${s.value![1]}`);
  });

  test('picked values narrow the panels: several as a regex alternation, escaped', async () => {
    const range = shortRange();
    assert.deepEqual(await legendsOf('sluice-topics-prom', 'Bytes in', 'A', range), ['dash clicks', 'dash orders']);
    assert.deepEqual(await legendsOf('sluice-topics-prom', 'Bytes in', 'A', range, { topic: ['orders'] }), ['dash orders']);
    assert.deepEqual(await legendsOf('sluice-topics-prom', 'Bytes in', 'A', range, { topic: ['orders', 'clicks'] }), ['dash clicks', 'dash orders']);
    // Regex metacharacters and quotes are escaped, not interpreted: no topic is named "orders|clicks" or "o.ders".
    assert.deepEqual(await legendsOf('sluice-topics-prom', 'Bytes in', 'A', range, { topic: ['orders|clicks', 'o.ders'] }), []);
    assert.deepEqual(await legendsOf('sluice-topics-prom', 'Bytes in', 'A', range, { cluster: ["o'ther\\"] }), []);
    assert.deepEqual(await legendsOf('sluice-consumer-groups-prom', 'Lag', 'A', range, { group: ['billing'] }), ['dash billing']);
    assert.deepEqual(await legendsOf('sluice-consumer-groups-prom', 'Lag by topic', 'A', range, { topic: ['clicks'] }), ['dash analytics clicks']);
    assert.deepEqual(await legendsOf('sluice-brokers-prom', 'Request handler idle', 'A', range, { broker: ['0', '2'] }), ['dash broker 0', 'dash broker 2']);
    assert.deepEqual(await legendsOf('sluice-clients-prom', 'Produce rate vs quota', 'A', range, { client_id: ['clickstream'] }), ['(none) / clickstream']);
    const anonymous = await legendsOf('sluice-clients-prom', 'Fetch rate vs quota', 'A', range, { user: ['ANONYMOUS'] });
    assert.ok(anonymous.length > 0 && anonymous.every((l) => l.startsWith('ANONYMOUS / ')), anonymous.join());
  });

  test('the annotation marks broker 2 down, as Grafana turns the series into regions', async () => {
    for (const d of boards) {
      const [annotation] = (d.annotations?.list ?? []).filter((a) => a.builtIn !== 1) as unknown as { target: PromTarget; titleFormat: string; tagKeys: string }[];
      const request = targetRequest(annotation!.target, shortRange(), variableValues.get(d.uid!)!, 1600, SCRAPE);
      const data = await send(request) as { result: Series[] };
      // A region wherever a series is above zero, points at most one step apart joined.
      const regions = data.result.flatMap((s) => {
        const times = s.values!.filter(([, v]) => Number(v) > 0).map(([t]) => t * 1000);
        const out: { title: string; tags: string[]; time: number; timeEnd: number }[] = [];
        for (const t of times) {
          const last = out.at(-1);
          if (last !== undefined && last.timeEnd + request.plan.stepMs >= t) last.timeEnd = t;
          else out.push({ title: renderLegend(annotation!.titleFormat, s.metric), tags: annotation!.tagKeys.split(',').map((k) => s.metric[k]!), time: t, timeEnd: t });
        }
        return out;
      });
      assert.deepEqual(regions.map((r) => [r.title, r.tags]), [['dash broker 2 down', ['dash', '2']]], d.uid);
      // The run stops broker 2 six seconds before its end; the region lasts to the last step.
      assert.ok(regions[0]!.time >= run.startedAt + (RUN_SECONDS - 6) * 1000 && regions[0]!.timeEnd <= shortRange().to, `${d.uid}: ${JSON.stringify(regions)}`);
    }
  });

  test('over a day and a month every query succeeds, reading the restarted service\'s head and PostgreSQL', async () => {
    for (const days of [1, 30]) {
      // The range ends on the next whole hour: steps fall on whole minutes after the run.
      const to = Math.ceil((run.endedAt + 1) / 3_600_000) * 3_600_000;
      const range = { from: to - days * DAY, to };
      for (const d of boards) {
        for (const p of panelsOf(d)) {
          for (const target of targetsOf(p)) {
            if (target.instant === true) continue;
            await send(targetRequest(target, range, variableValues.get(d.uid!)!, maxDataPointsOf(p), SCRAPE));
          }
        }
      }
      // A gauge shows at a step with a sample in the 5 minutes before it: a day's 2-minute steps do, a month's hourly ones need not.
      if (days === 1) assert.deepEqual(await legendsOf('sluice-brokers-prom', 'Request handler idle', 'A', range), ['dash broker 0', 'dash broker 1', 'dash broker 2']);
    }
  });
});
