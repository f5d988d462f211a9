/**
 * The Sluice side of the query bench, in a process of its own (as Prometheus is): opens a real
 * store (PostgreSQL at the given URL in a schema of its own, else PGlite in a directory), writes
 * the data set through the store's writer (head and database), and serves Prometheus's API
 * (buildApi + the prometheus routes) over HTTP twice:
 *
 * - `head`: the store as opened, its head window set to hold the whole set, so that every query
 *   is answered from memory;
 * - `tiered`: the same database behind a head of the service's default window (2 h unless told),
 *   warmed from the database as the service warms it at start, so that what is older comes from
 *   PostgreSQL (TieredQuerier, as the service reads).
 *
 * The store's clock stands at the end of the data: the head windows are exactly that far back
 * from it. Talks to the bench over IPC: `ready` with both URLs, then `profile-start`,
 * `profile-stop` (a CPU profile of what the process did in between, written to a file) and
 * `stop` (closes everything, drops the schema, exits).
 *
 * Run by bench/query.bench.ts; not meant to be started by hand.
 */
import { rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { Registry } from 'prom-client';
import { prometheusRoutes } from '../../src/api/routes/prometheus/index.ts';
import { buildApi, listenApi } from '../../src/api/server.ts';
import type { SeriesSource } from '../../src/api/types.ts';
import { wallClock, type Clock } from '../../src/clock.ts';
import { dropSchema } from '../../src/store/db.ts';
import { Head } from '../../src/store/head.ts';
import { SeriesCache } from '../../src/store/series-cache.ts';
import { openStore } from '../../src/store/store.ts';
import { TieredQuerier } from '../../src/store/tiered-querier.ts';
import type { Sample } from '../../src/store/types.ts';
import { warmHead } from '../../src/store/warm.ts';
import { dataSet, sampleTime, seriesValues } from './data.ts';

/** What the bench hands the server (JSON in argv[2]). */
export interface ServerArgs {
  readonly series: number;
  readonly hours: number;
  readonly endMs: number;
  /** The tiered instance's head window, ms. */
  readonly headWindowMs: number;
  readonly url?: string;
  readonly schema?: string;
  readonly dataDir?: string;
}

/** Messages the server sends. */
export type ServerMessage =
  | { readonly type: 'progress'; readonly line: string }
  | { readonly type: 'ready'; readonly headUrl: string; readonly tieredUrl: string; readonly store: string; readonly samples: number; readonly loadMs: number; readonly warmMs: number; readonly tieredHeadSamples: number }
  | { readonly type: 'profiled'; readonly path: string }
  | { readonly type: 'failed'; readonly error: string };

const args = JSON.parse(process.argv[2]!) as ServerArgs;
const send = (m: ServerMessage): void => void process.send!(m);
const say = (line: string): void => send({ type: 'progress', line });

const set = dataSet(args.series, args.hours, args.endMs);
const HOUR_MS = 3_600_000;
// The end of the data is "now" for the store: writer range checks, head windows, TieredQuerier.
const clock: Clock = { now: () => args.endMs, setTimeout: wallClock.setTimeout };
const store = await openStore({
  ...(args.url === undefined ? { dataDir: args.dataDir ?? 'memory' } : { url: args.url, schema: args.schema! }),
  headWindowMs: Math.ceil(args.hours) * HOUR_MS + HOUR_MS,
  // No rollups or retention runs during the bench: they would compete with the timed queries.
  maintenanceIntervalMs: 24 * HOUR_MS,
}, { clock });

const apps: { close(): Promise<unknown> }[] = [];
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => undefined);
  stopping = true;
  await Promise.allSettled(apps.map((a) => a.close()));
  await store.close({ timeoutMs: 5000 }).catch(() => undefined);
  if (args.url !== undefined) {
    await dropSchema(args.url, args.schema!).catch(() => undefined);
  } else if (args.dataDir !== undefined && args.dataDir !== 'memory') {
    await rm(args.dataDir, { recursive: true, force: true });
  }
  process.exit(code);
}
process.on('disconnect', () => void shutdown(1));

try {
  const t0 = performance.now();
  const values = set.series.map((s) => seriesValues(s, set.samples));
  let batch: Sample[] = [];
  for (let k = 0; k < set.samples; k++) {
    for (const s of set.series) batch.push({ metric: s.metric, labels: s.labels, ts: sampleTime(set, s, k), value: values[s.index]![k]! });
    if (batch.length >= 20_000 || k === set.samples - 1) {
      await store.writer.write(batch);
      batch = [];
    }
    if (k % 240 === 239) say(`sluice: ${((k + 1) / 240).toFixed(0)} h of ${args.hours} h written`);
  }
  await store.writer.flush();
  const stats = store.writer.stats();
  if (stats.written !== set.series.length * set.samples) throw new Error(`the writer stored ${stats.written} samples of ${set.series.length * set.samples}`);
  // As autovacuum would have done by the time the data is hours old: statistics for the
  // planner and the visibility map for index-only scans.
  await store.db.exec('VACUUM (ANALYZE) samples');
  const loadMs = performance.now() - t0;
  say(`sluice: ${stats.written} samples stored and vacuumed in ${(loadMs / 1000).toFixed(1)} s`);

  const t1 = performance.now();
  const tieredHead = new Head({ windowMs: args.headWindowMs });
  const warmed = await warmHead(store.db, tieredHead, new SeriesCache(), args.endMs);
  const warmMs = performance.now() - t1;

  const serve = async (source: SeriesSource): Promise<string> => {
    const app = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(a) => prometheusRoutes(a, { source, now: () => args.endMs })] });
    apps.push(app);
    return listenApi(app, 0);
  };
  const headUrl = await serve(store.querier);
  const tieredUrl = await serve(new TieredQuerier(tieredHead, store.history, clock.now));
  const version = (await store.db.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v.split(' on ')[0]!.split(',')[0]!;
  const where = args.url === undefined ? `PGlite (${version}), ${args.dataDir ?? 'memory'}` : `${version} server, schema ${args.schema!}`;
  send({ type: 'ready', headUrl, tieredUrl, store: where, samples: stats.written, loadMs, warmMs, tieredHeadSamples: warmed.samples });
} catch (err) {
  send({ type: 'failed', error: (err as Error).stack ?? String(err) });
  await shutdown(1);
}

let session: Session | undefined;
process.on('message', (m: { type: string; path?: string }) => {
  void (async () => {
    if (m.type === 'stop') await shutdown(0);
    if (m.type === 'profile-start') {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      send({ type: 'profiled', path: '' });
    }
    if (m.type === 'profile-stop' && session !== undefined) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      await writeFile(m.path!, JSON.stringify(profile));
      send({ type: 'profiled', path: m.path! });
    }
  })();
});
