/**
 * The oracle: Debian's Prometheus 2.42 server scrapes Sluice's /federate while the bundled
 * 3-broker cluster runs a small workload (two topics, a consumer group that keeps up and one
 * that falls behind) and Sluice collects every 3 s; then a list of Kafka queries (rates by topic,
 * lag sums by group, request-time quantiles, topk, predict_linear on disk use, absent, joins) is
 * evaluated by both at the same instants with `promtool query instant|range`, and the results
 * must agree: labels exactly, values within 1e-6 relative.
 *
 * Why the instants line up: /federate sends each sample with its own timestamp, so Prometheus
 * stores Sluice's samples at Sluice's times, not at its scrape times, and the values at an
 * instant are the same, not one scrape apart. Two offsets remain, both taken out here:
 * - at the start, Prometheus has what Sluice collected from its first successful scrape on (the
 *   first collection may run before the API listens): the test checks that Prometheus holds
 *   every sample Sluice stored from then on, bit for bit, and compares only instants whose
 *   windows (9 s at most) start after it;
 * - at the end, Prometheus has a new sample up to one scrape interval (1 s) after Sluice: the
 *   test stops collection and waits two scrapes before querying. (While collection runs,
 *   Prometheus's answer at an instant within the last second may still lack its newest sample.)
 *
 * Both are asked the same way: promtool against Prometheus's and Sluice's `/api/v1/query` and
 * `/api/v1/query_range`. Skipped when /usr/bin/prometheus is absent (CI installs Debian's
 * `prometheus` package).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp, type App } from '../../src/app.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { parseScenario } from '../../src/workload/scenario.ts';
import { startWorkload, type WorkloadRun } from '../../src/workload/run.ts';
import { serviceConfigFor } from '../helpers/service.ts';
import { waitFor, within } from '../helpers/broker.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const NO_PROMETHEUS: string | false = existsSync(PROMETHEUS) && existsSync(PROMTOOL) ? false : `${PROMETHEUS} is absent: install Debian's prometheus package (apt-get install prometheus) to run the oracle`;

const COLLECT_S = 3;
const RUN_MS = 18_000;
/** The longest range in QUERIES: instants are compared from this long after Prometheus's first scrape. */
const WINDOW_MS = 9_000;
/** The written request time histogram: upper bound, and requests a second at or under it. */
const HISTOGRAM_BUCKETS: readonly [string, number][] = [['0.005', 3], ['0.01', 7], ['0.025', 12], ['0.05', 15], ['0.1', 16], ['+Inf', 17]];
const SELECTORS = ['{__name__=~"kafka_.*"}', '{__name__=~"sluice_.*"}'];
const ALL = '{__name__=~"kafka_.*|sluice_.*"}';
/** A label value the text format must escape, and HTML would not like either. */
const AWKWARD = 'say "hi" \\ to <script>alert(1)</script>\nnext line é ✓';

const SCENARIO = `
name: oracle
duration: 120s
topics:
  - { name: orders, partitions: 3, replicationFactor: 2 }
  - { name: clicks, partitions: 2, replicationFactor: 1 }
producers:
  - { id: orders-api, topic: orders, rate: 200, size: 512, keys: 100, acks: 1 }
  - { id: clicks-web, topic: clicks, rate: 100, size: 256, keys: 100, acks: 1 }
consumers:
  - { id: billing, group: billing, topics: [orders] }
  - { id: analytics, group: analytics, topics: [clicks], rate: 40 }
`;

/** The queries compared; `empty` when both must answer nothing. */
const QUERIES: readonly { readonly expr: string; readonly empty?: true }[] = [
  { expr: 'sum by (topic) (rate(kafka_server_brokertopicmetrics_bytesin_total{topic!=""}[9s]))' },
  { expr: 'sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total{topic!=""}[9s]))' },
  { expr: 'increase(kafka_server_brokertopicmetrics_messagesin_total{topic="orders"}[9s])' },
  { expr: 'sum by (group) (kafka_consumergroup_group_lag)' },
  { expr: 'sum by (cluster, group, topic) (kafka_consumergroup_group_lag) - on (cluster, group, topic) kafka_consumergroup_group_topic_sum_lag' },
  { expr: 'max by (group) (kafka_consumergroup_group_max_lag_seconds)' },
  { expr: 'deriv(kafka_consumergroup_group_sum_lag[9s])' },
  { expr: 'sluice_consumergroup_status' },
  // The brokers' request times are quantile gauges, as the JMX exporter exports Kafka's histograms.
  { expr: 'max by (request) (kafka_network_requestmetrics_totaltimems{quantile="0.99"})' },
  { expr: 'quantile by (request) (0.9, kafka_network_requestmetrics_totaltimems{quantile="0.5"})' },
  { expr: 'topk(3, sum by (topic, partition) (kafka_log_log_size))' },
  { expr: 'topk(2, rate(kafka_server_brokertopicmetrics_bytesout_total{topic!=""}[9s]))' },
  { expr: 'predict_linear(sluice_broker_log_dir_used_bytes[9s], 3600)' },
  { expr: 'predict_linear(kafka_log_log_size{topic="orders"}[9s], 600)' },
  { expr: 'avg_over_time(kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent[9s])' },
  { expr: 'count by (__name__) ({__name__=~"kafka_.*|sluice_.*"})' },
  { expr: 'absent(kafka_consumergroup_group_lag{group="nonexistent"})' },
  { expr: 'absent(kafka_consumergroup_group_lag{group="billing"})', empty: true },
  { expr: 'sluice_test_label_escaping' },
  { expr: 'histogram_quantile(0.99, sum by (le) (rate(sluice_test_request_time_seconds_bucket[9s])))' },
  { expr: 'histogram_quantile(0.5, sum by (le, request) (rate(sluice_test_request_time_seconds_bucket{request="Produce"}[9s])))' },
];

let cluster: RunningCluster;
let app: App;
let workload: WorkloadRun | undefined;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';
let dir: string;
let promUrl: string;
let sluiceUrl: string;
let startedAt: number;

/** `n` distinct free ports on 127.0.0.1. */
async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

/** Runs promtool with `args` and `-o json`; the parsed output. */
function promtool(args: readonly string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(PROMTOOL, ['query', ...args.slice(0, 1), '-o', 'json', ...args.slice(1)], { timeout: 20_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`promtool query ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/** Series as compared: key (labels as sorted JSON) → [time ms, value] pairs. */
type Points = Map<string, [number, number][]>;

function keyOf(metric: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(metric).sort().map((k) => [k, metric[k]]));
}

function parseValue(text: string): number {
  return text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
}

/** promtool's JSON (a vector, a matrix or a scalar) as Points. */
function fromPromtool(json: unknown): Points {
  const out: Points = new Map();
  if (!Array.isArray(json)) throw new Error(`unexpected promtool output ${JSON.stringify(json)}`);
  if (json.length === 2 && typeof json[0] === 'number') {
    out.set(keyOf({}), [[Math.round((json[0] as number) * 1000), parseValue(json[1] as string)]]);
    return out;
  }
  for (const s of json as { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[]) {
    const pairs = s.values ?? [s.value!];
    out.set(keyOf(s.metric), pairs.map(([t, v]) => [Math.round(t * 1000), parseValue(v)]));
  }
  return out;
}

/** Where each side is asked. */
interface Side {
  instant(expr: string, at: number): Promise<Points>;
  range(expr: string, start: number, end: number, stepMs: number): Promise<Points>;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function promtoolSide(url: string): Side {
  return {
    instant: async (expr, at) => fromPromtool(await promtool(['instant', url, expr, `--time=${seconds(at)}`])),
    range: async (expr, start, end, stepMs) => fromPromtool(await promtool(['range', url, expr, `--start=${seconds(start)}`, `--end=${seconds(end)}`, `--step=${stepMs / 1000}s`])),
  };
}

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  // Sums in another order may leave rounding noise around zero.
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)) || Math.abs(a - b) < 1e-12;
}

/** What differs between `want` (Prometheus) and `got` (Sluice), for people. */
function differences(want: Points, got: Points): string[] {
  const out: string[] = [];
  for (const [key, points] of want) {
    const other = got.get(key);
    if (other === undefined) out.push(`only Prometheus has ${key}`);
    else if (points.length !== other.length || points.some(([t, v], i) => other[i]![0] !== t || !close(v, other[i]![1]))) {
      out.push(`${key}: Prometheus ${JSON.stringify(points)} Sluice ${JSON.stringify(other)}`);
    }
  }
  for (const key of got.keys()) if (!want.has(key)) out.push(`only Sluice has ${key}`);
  return out;
}

/** Runs `fn` over `items`, `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

describe('Prometheus 2.42 scraping /federate answers Kafka queries as Sluice does', { skip: NO_PROMETHEUS, timeout: 120_000 }, () => {
  /** The newest sample time of any federated series, once collection stopped. */
  let lastTs: number;
  /** When Prometheus first scraped Sluice successfully. */
  let firstScrape: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-oracle-'));
    const [apiPort, promPort] = await freePorts(2);
    sluiceUrl = `http://127.0.0.1:${apiPort}`;
    promUrl = `http://127.0.0.1:${promPort}`;
    await writeFile(join(dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, scrape_timeout: 1s }',
      'scrape_configs:',
      '  - job_name: sluice',
      '    honor_labels: true',
      '    metrics_path: /federate',
      `    params: { 'match[]': ${JSON.stringify(SELECTORS)} }`,
      `    static_configs: [{ targets: ['127.0.0.1:${apiPort}'] }]`,
      // Sluice's series carry no job label: Prometheus's series are then exactly Sluice's.
      '    metric_relabel_configs: [{ action: labeldrop, regex: job }]',
      '',
    ].join('\n'));
    // Prometheus first, so that it scrapes from Sluice's first collection on.
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    prometheus.stderr!.on('data', (chunk: Buffer) => { prometheusLog += chunk.toString(); });
    // Never left running, even when the test process is ended before `after` runs.
    process.once('exit', () => prometheus?.kill('SIGKILL'));
    [cluster] = await Promise.all([
      within('starting the bundled cluster', 20_000, startCluster({ port: 0, brokers: 3, metricsPort: 0, logger: silentLogger() })),
      // Prometheus applies its targets a few seconds after it starts (its scrape manager reloads
      // every 5 s): once Sluice's is listed, it is scraped every second, up or not.
      waitFor(async () => {
        const targets = await (await fetch(`${promUrl}/api/v1/targets`).catch(() => undefined))?.json().catch(() => undefined) as { data?: { activeTargets?: unknown[] } } | undefined;
        return (targets?.data?.activeTargets?.length ?? 0) > 0;
      }, 20_000, "Prometheus to list Sluice's target").catch((err: Error) => {
        throw new Error(`${err.message}; its log: ${prometheusLog}`);
      }),
    ]);
    const config = serviceConfigFor(cluster, {
      name: 'oracle',
      cluster: { intervals: { host: 60, cluster: COLLECT_S, topics: COLLECT_S, clients: COLLECT_S }, timeouts: { requestMs: 2000, connectMs: 500, scrapeMs: 1000 } },
      api: { port: apiPort },
      rules: { files: [] },
      throttle: { mode: 'off' },
    });
    app = buildApp(config, { jitter: 0 });
    startedAt = Date.now();
    await within("starting Sluice's service", 15_000, app.start());
    workload = await within('starting the workload', 15_000, startWorkload(parseScenario(SCENARIO, 'oracle.yaml'), { bootstrap: [cluster.bootstrap.split(',')[0]!], statusIntervalMs: 60_000 }, { logger: silentLogger(), status: () => {} }));
    // Kafka's request times come as quantile gauges (the JMX exporter's summaries), so a request
    // time histogram for histogram_quantile is written beside them: cumulative bucket counts each second.
    const runSeconds = Math.floor(RUN_MS / 1000);
    for (let i = 1; i <= runSeconds; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const ts = Date.now();
      const buckets = HISTOGRAM_BUCKETS.map(([le, perSecond]) => ({ metric: 'sluice_test_request_time_seconds_bucket', labels: { cluster: 'oracle', request: 'Produce', le }, ts, value: perSecond * i + (i % 3) * (le === '+Inf' ? 2 : 0) }));
      const escaping = i % Math.max(1, Math.floor(runSeconds / 3)) === 0 ? [{ metric: 'sluice_test_label_escaping', labels: { cluster: 'oracle', text: AWKWARD }, ts, value: i + 0.5 }] : [];
      await within('writing the request time histogram', 5_000, app.store.writer.write([...buckets, ...escaping]));
    }
    await within('stopping collection', 10_000, app.scheduler.stop());
    // Two scrapes after the last collection: Prometheus then holds every sample up to the last.
    await new Promise((r) => setTimeout(r, 2500));
    lastTs = Math.max(...app.store.head.selectSync([{ name: '__name__', type: '=~', value: 'kafka_.*|sluice_.*' }], startedAt, Date.now()).map((s) => s.ts.at(-1)!));
    // Prometheus's first successful scrape of Sluice, from its `up` series (stamped with scrape times).
    const up = fromPromtool(await promtool(['instant', promUrl, 'up{job="sluice"}[2m]', `--time=${seconds(Date.now())}`]));
    firstScrape = [...up.values()].flat().find(([, v]) => v === 1)?.[0] ?? Infinity;
  });

  after(async () => {
    await workload?.stop();
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    await app?.stop();
    await cluster?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('Prometheus holds every sample Sluice stored from its first scrape on, with the same labels, times and values', async () => {
    const window = Math.ceil((lastTs - startedAt) / 1000) + 1;
    const scraped = fromPromtool(await promtool(['instant', promUrl, `${ALL}[${window}s]`, `--time=${seconds(lastTs)}`]));
    const stored: Points = new Map();
    const since: Points = new Map();
    for (const s of app.store.head.selectSync([{ name: '__name__', type: '=~', value: 'kafka_.*|sluice_.*' }], lastTs - window * 1000, lastTs)) {
      const points = Array.from(s.ts, (t, i): [number, number] => [t, s.values[i]!]);
      stored.set(keyOf({ ...s.labels, __name__: s.metric }), points);
      since.set(keyOf({ ...s.labels, __name__: s.metric }), points.filter(([t]) => t >= firstScrape));
    }
    const samples = [...since.values()].reduce((n, p) => n + p.length, 0);
    assert.ok(since.size > 500 && samples > 3000, `${since.size} series, ${samples} samples`);
    // What Prometheus holds is what Sluice stored, sample for sample; from the first scrape on, all of it.
    const extra: string[] = [];
    for (const [key, points] of scraped) {
      const own = new Map(stored.get(key) ?? []);
      for (const [t, v] of points) if (!own.has(t) || !Object.is(own.get(t), v)) extra.push(`${key} @ ${t}: Prometheus ${v}, Sluice ${own.get(t)}`);
    }
    assert.deepEqual(extra.slice(0, 10), []);
    const missing: string[] = [];
    for (const [key, points] of since) {
      const theirs = new Set((scraped.get(key) ?? []).map(([t]) => t));
      for (const [t] of points) if (!theirs.has(t)) missing.push(`${key} @ ${t}`);
    }
    assert.deepEqual(missing.slice(0, 10), []);
    // The label value with a quote, a backslash, a line feed and non-ASCII text came through the text format intact.
    assert.deepEqual([...scraped.keys()].filter((k) => k.includes('sluice_test_label_escaping')), [keyOf({ __name__: 'sluice_test_label_escaping', cluster: 'oracle', text: AWKWARD })]);
  });

  test('every Kafka query agrees at the same instants, as an instant and as a range query', async (t) => {
    const sluice = promtoolSide(sluiceUrl);
    const prom = promtoolSide(promUrl);
    // From one window after the first scrape on (before that, windows reach back to samples
    // Prometheus may not have): the last collection and an instant between two as instant
    // queries, and every second from then to the last collection as a range query.
    const start = firstScrape + WINDOW_MS;
    assert.ok(lastTs - start >= COLLECT_S * 1000, `Prometheus first scraped Sluice ${firstScrape - startedAt} ms after it started: too late to compare ${WINDOW_MS} ms windows before ${lastTs}`);
    const instants = [lastTs, lastTs - 1700];
    t.diagnostic(`first scrape ${firstScrape - startedAt} ms after Sluice started; ${QUERIES.length} queries compared at 2 instants and every second of the last ${lastTs - start} ms`);
    const problems = await pool(QUERIES, 4, async ({ expr, empty }) => {
      const out: string[] = [];
      for (const at of instants) {
        const [want, got] = await Promise.all([prom.instant(expr, at), sluice.instant(expr, at)]);
        if (empty !== true && want.size === 0) out.push(`${expr} @ ${at}: Prometheus answered nothing`);
        if (empty === true && want.size > 0) out.push(`${expr} @ ${at}: Prometheus answered ${[...want.keys()].join(' ')}`);
        out.push(...differences(want, got).map((d) => `${expr} @ ${at}: ${d}`));
      }
      const [want, got] = await Promise.all([prom.range(expr, start, lastTs, 1000), sluice.range(expr, start, lastTs, 1000)]);
      out.push(...differences(want, got).map((d) => `${expr} over ${start}..${lastTs}: ${d}`));
      return out;
    });
    assert.deepEqual(problems.flat().slice(0, 20), []);
  });

  test('promtool query series and labels: the same series and label values from both over the compared span', async () => {
    const span = [`--start=${seconds(firstScrape + WINDOW_MS)}`, `--end=${seconds(lastTs)}`];
    const series = async (url: string, match: string) => ((await promtool(['series', url, `--match=${match}`, ...span])) as Record<string, string>[]).map(keyOf).sort();
    const values = async (url: string, name: string) => ((await promtool(['labels', url, name, ...span])) as string[]).sort();
    for (const match of ['{__name__=~"kafka_consumergroup_.*"}', 'kafka_server_brokertopicmetrics_bytesin_total{topic!=""}', '{__name__=~"kafka_log_.*", topic="orders"}']) {
      const [want, got] = await Promise.all([series(promUrl, match), series(sluiceUrl, match)]);
      assert.ok(want.length > 0, `Prometheus has no series for ${match}`);
      assert.deepEqual(got, want, match);
    }
    // Prometheus's own scrape series (up, scrape_*) carry job and instance; the Kafka labels are Sluice's alone.
    for (const name of ['topic', 'group', 'broker', 'cluster']) {
      const [want, got] = await Promise.all([values(promUrl, name), values(sluiceUrl, name)]);
      assert.ok(want.length > 0, `Prometheus has no values of ${name}`);
      assert.deepEqual(got, want, name);
    }
  });
});
