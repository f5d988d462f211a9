/**
 * What a heavy query through the Prometheus API does to everything else in the process: while a
 * Grafana-sized range query runs (`sum by (topic) (rate(…[5m]))` over 2,000 series for 2 h at a
 * 1 s step: 7,200 steps), `/healthz` is asked every 5 ms over real HTTP. Prints the query's time
 * and the event loop's longest stall and /healthz's slowest answer during it: with the API's
 * yielding between steps, and the same evaluation without (the engine called directly), for
 * comparison. Goal: a stall well under one collection interval (seconds), tens of ms at most.
 *
 *   npm run bench:query-api [-- --topics 2000 --step 1]
 */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { prometheusRoutes } from '../src/api/routes/prometheus/index.ts';
import { buildApi, listenApi } from '../src/api/server.ts';
import { Engine } from '../src/rules/promql/index.ts';
import { Head } from '../src/store/head.ts';
import { SeriesCache } from '../src/store/series-cache.ts';
import { TieredQuerier } from '../src/store/tiered-querier.ts';

const { values } = parseArgs({ options: { topics: { type: 'string', default: '2000' }, step: { type: 'string', default: '1' } } });
const topics = Number(values.topics);
const stepS = Number(values.step);
const SCRAPE_MS = 15_000;
const END = Date.UTC(2026, 0, 1, 12);
const START = END - 2 * 3_600_000;

// Two hours of one counter per topic at a 15 s scrape, in the head.
const head = new Head();
const cache = new SeriesCache();
for (let t = 0; t < topics; t++) {
  const ref = cache.ref('kafka_server_brokertopicmetrics_bytesin_total', { cluster: 'bench', topic: `topic-${t % 50}`, partition: String(t) });
  for (let ts = START - 5 * 60_000; ts <= END; ts += SCRAPE_MS) head.append(ref, ts, (ts - START) * (1 + t));
}
// Everything asked for is in the head; the database is never read.
const querier = new TieredQuerier(head, { select: async () => [] }, () => END);
const QUERY = 'sum by (topic) (rate(kafka_server_brokertopicmetrics_bytesin_total[5m]))';

const app = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(a) => prometheusRoutes(a, { source: querier, now: () => END })] });
const url = await listenApi(app, 0);

/**
 * Runs `work` while /healthz is asked every 5 ms: the longest the event loop went without
 * running a 1 ms timer (its longest stall), and /healthz's slowest answer.
 */
async function whileRunning(work: () => Promise<unknown>): Promise<{ ms: number; stallMs: number; healthMaxMs: number; health: number }> {
  let running = true;
  const latencies: number[] = [];
  const poll = (async () => {
    while (running) {
      const t0 = performance.now();
      await (await fetch(`${url}/healthz`)).arrayBuffer();
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  let last = performance.now();
  let stallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(ticker);
  running = false;
  await poll;
  return { ms, stallMs, healthMaxMs: Math.max(...latencies), health: latencies.length };
}

// Warm up (compile) the evaluation path once, so that neither measured run pays for it.
await new Engine().range(QUERY, START, START + 600_000, stepS * 1000, querier);

const params = new URLSearchParams({ query: QUERY, start: String(START / 1000), end: String(END / 1000), step: String(stepS) });
let answer: ArrayBuffer | undefined;
const viaApi = await whileRunning(async () => {
  const res = await fetch(`${url}/api/v1/query_range`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params.toString() });
  answer = await res.arrayBuffer();
});
// Read after the measurement: parsing 10 MB of JSON is the client's stall, not the server's.
const body = JSON.parse(Buffer.from(answer!).toString()) as { status: string; data: { result: unknown[] } };
if (body.status !== 'success' || body.data.result.length !== Math.min(50, topics)) throw new Error(`unexpected answer: ${JSON.stringify(body).slice(0, 200)}`);
const direct = await whileRunning(() => new Engine().range(QUERY, START, END, stepS * 1000, querier));

const row = (name: string, r: typeof viaApi) => `${name.padEnd(34)} ${r.ms.toFixed(0).padStart(7)} ms  stall ${r.stallMs.toFixed(1).padStart(7)} ms  /healthz max ${r.healthMaxMs.toFixed(1).padStart(7)} ms (${r.health} answers)`;
console.log(`${topics} series, ${((END - START) / 1000 / stepS + 1).toFixed(0)} steps: ${QUERY}`);
console.log(row('API (yields every 10 ms)', viaApi));
console.log(row('engine without yielding', direct));
console.log(`longest stall, yielding over not: ${(viaApi.stallMs / direct.stallMs).toFixed(4)}`);
await app.close();
