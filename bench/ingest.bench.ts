/**
 * Ingest throughput of the store writer against a raw COPY of the same rows, in the same run, on
 * PostgreSQL (DATABASE_URL, if set) and on embedded PGlite.
 *
 *   npm run bench:ingest
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:ingest
 *   SLUICE_BENCH_SERIES=2000 SLUICE_BENCH_SAMPLES=500 SLUICE_BENCH_ROUNDS=3 npm run bench:ingest
 *
 * - raw COPY: rows with their series ids already known, bulk-loaded with `Db.copySamples` in
 *   batches of the writer's size (binary encoding included).
 * - writer: the same samples as collectors hand them over (metric + labels objects), one
 *   write() per collection cycle of every series, through `Writer` with a head attached, timed
 *   until flush() resolves. It resolves series ids, checks and orders samples, feeds the head
 *   and loads batches with COPY.
 * Each run starts from an empty `samples` (autovacuum off for the bench's partitions, so that it
 * does not compete with the next run); rounds alternate which goes first; the best of each is
 * reported.
 * Goals (PostgreSQL): writer ≥ 0.8× raw COPY and ≥ 250,000 samples/s.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { openDb } from '../src/store/db.ts';
import { Head } from '../src/store/head.ts';
import { migrate } from '../src/store/migrate.ts';
import { ensurePartitions, listPartitions } from '../src/store/partitions.ts';
import { SeriesCache } from '../src/store/series-cache.ts';
import { quoteIdent, toTimestamp } from '../src/store/sql.ts';
import type { Db, Sample, SampleColumns } from '../src/store/types.ts';
import { Writer } from '../src/store/writer.ts';
import { VirtualClock } from '../src/clock.ts';

const SERIES = Number(process.env.SLUICE_BENCH_SERIES ?? 2000);
const SAMPLES_PER_SERIES = Number(process.env.SLUICE_BENCH_SAMPLES ?? 500);
const ROUNDS = Number(process.env.SLUICE_BENCH_ROUNDS ?? 3);
const BATCH = 50_000;
const INTERVAL_MS = 15_000;
const GOAL_RATIO = 0.8;
const GOAL_RATE = 250_000;

/** One collection cycle per element: a sample of every series at the same time. */
function makeCycles(start: number): Sample[][] {
  const labels = Array.from({ length: SERIES }, (_, i) => ({
    cluster: 'bench',
    topic: `topic-${i % 200}`,
    partition: String(Math.floor(i / 200)),
  }));
  return Array.from({ length: SAMPLES_PER_SERIES }, (_, k) =>
    labels.map((l, i) => ({ metric: 'kafka_log_log_size', labels: l, ts: start + k * INTERVAL_MS, value: (i * 7919 + k * 104_729) % 1_000_003 })),
  );
}

/** The same samples as columns, with their series ids resolved (not timed). */
async function makeColumns(db: Db, cycles: Sample[][]): Promise<SampleColumns> {
  const cache = new SeriesCache();
  const refs = cycles[0]!.map((s) => cache.ref(s.metric, s.labels));
  await cache.resolve(db, refs);
  const n = SERIES * SAMPLES_PER_SERIES;
  const columns = { seriesIds: new Int32Array(n), ts: new Float64Array(n), values: new Float64Array(n) };
  let j = 0;
  for (const cycle of cycles) {
    cycle.forEach((s, i) => {
      columns.seriesIds[j] = refs[i]!.id;
      columns.ts[j] = s.ts;
      columns.values[j] = s.value;
      j++;
    });
  }
  return columns;
}

async function reset(db: Db): Promise<void> {
  await db.exec('TRUNCATE samples');
  if (db.kind === 'postgres') await db.exec('CHECKPOINT');
}

async function rawCopy(db: Db, columns: SampleColumns): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < columns.seriesIds.length; i += BATCH) {
    const end = Math.min(i + BATCH, columns.seriesIds.length);
    await db.copySamples({ seriesIds: columns.seriesIds.subarray(i, end), ts: columns.ts.subarray(i, end), values: columns.values.subarray(i, end) });
  }
  return performance.now() - started;
}

async function unnestInsert(db: Db, columns: SampleColumns): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < columns.seriesIds.length; i += BATCH) {
    const end = Math.min(i + BATCH, columns.seriesIds.length);
    await db.query('INSERT INTO samples (series_id, ts, value) SELECT * FROM unnest($1::int4[], $2::timestamptz[], $3::float8[])', [
      Array.from(columns.seriesIds.subarray(i, end)),
      Array.from(columns.ts.subarray(i, end), toTimestamp),
      Array.from(columns.values.subarray(i, end)),
    ]);
  }
  return performance.now() - started;
}

async function throughWriter(db: Db, cycles: Sample[][], now: number): Promise<number> {
  const writer = new Writer({ db, head: new Head(), clock: new VirtualClock(now), batchSamples: BATCH, maxQueuedSamples: 4 * BATCH });
  const started = performance.now();
  for (const cycle of cycles) await writer.write(cycle);
  await writer.flush();
  const elapsed = performance.now() - started;
  await writer.close();
  return elapsed;
}

async function count(db: Db): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int4 AS n FROM samples')).rows[0]!.n;
}

async function bench(name: string, db: Db): Promise<void> {
  const rows = SERIES * SAMPLES_PER_SERIES;
  const now = Date.now();
  const start = now - SAMPLES_PER_SERIES * INTERVAL_MS;
  await migrate(db);
  await ensurePartitions(db, start, { aheadDays: 1 });
  const cycles = makeCycles(start);
  const columns = await makeColumns(db, cycles);
  const best = { raw: Infinity, writer: Infinity, unnest: Infinity };
  // Autovacuum would start after one run and compete with the next for the same cores.
  for (const p of await listPartitions(db, 'samples')) await db.exec(`ALTER TABLE ${quoteIdent(p.name)} SET (autovacuum_enabled = false)`);
  const runRaw = async () => {
    await reset(db);
    best.raw = Math.min(best.raw, await rawCopy(db, columns));
    if ((await count(db)) !== rows) throw new Error('raw COPY stored the wrong number of rows');
  };
  const runWriter = async () => {
    await reset(db);
    best.writer = Math.min(best.writer, await throughWriter(db, cycles, now));
    if ((await count(db)) !== rows) throw new Error('the writer stored the wrong number of rows');
  };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so neither always meets the database just after the other.
    for (const run of round % 2 === 0 ? [runRaw, runWriter] : [runWriter, runRaw]) await run();
    if (db.kind === 'pglite') {
      await reset(db);
      best.unnest = Math.min(best.unnest, await unnestInsert(db, columns));
    }
  }
  const rate = (ms: number) => Math.round((rows * 1000) / ms);
  const ratio = rate(best.writer) / rate(best.raw);
  const fmt = (n: number) => n.toLocaleString('en-US');
  console.log(`${name}: ${fmt(rows)} samples (${fmt(SERIES)} series × ${fmt(SAMPLES_PER_SERIES)}), best of ${ROUNDS}`);
  console.log(`  raw COPY   ${fmt(rate(best.raw)).padStart(10)} samples/s  (${best.raw.toFixed(0)} ms)`);
  console.log(`  writer     ${fmt(rate(best.writer)).padStart(10)} samples/s  (${best.writer.toFixed(0)} ms)`);
  if (db.kind === 'pglite') console.log(`  unnest     ${fmt(rate(best.unnest)).padStart(10)} samples/s  (INSERT … unnest, the alternative bulk path)`);
  const goals = db.kind === 'postgres' ? `  goals: ≥ ${GOAL_RATIO}× ${ratio >= GOAL_RATIO ? 'met' : 'MISSED'}, ≥ ${fmt(GOAL_RATE)}/s ${rate(best.writer) >= GOAL_RATE ? 'met' : 'MISSED'}` : '';
  console.log(`  ratio writer / raw COPY: ${ratio.toFixed(2)}×${goals}`);
}

async function main(): Promise<void> {
  console.log(`ingest bench on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}`);
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== '') {
    const schema = `sluice_bench_${randomBytes(4).toString('hex')}`;
    const db = await openDb({ url, schema });
    try {
      await bench('PostgreSQL', db);
    } finally {
      await db.exec(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
      await db.close();
    }
  } else {
    console.log('PostgreSQL: skipped (set DATABASE_URL to include it)');
  }
  const lite = await openDb({ dataDir: 'memory' });
  try {
    await bench('PGlite (in-process, in memory)', lite);
  } finally {
    await lite.close();
  }
}

await main();
