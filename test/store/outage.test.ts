/**
 * PostgreSQL made unreachable while samples keep coming: through a proxy that the tests cut,
 * against the server at DATABASE_URL (PGlite runs in-process and cannot become unreachable).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { openDb } from '../../src/store/db.ts';
import { Head } from '../../src/store/head.ts';
import { migrate } from '../../src/store/migrate.ts';
import { quoteIdent } from '../../src/store/sql.ts';
import type { Db, Sample } from '../../src/store/types.ts';
import { Writer } from '../../src/store/writer.ts';
import { EventRecorder, listEvents } from '../../src/store/events.ts';
import { VirtualClock } from '../../src/clock.ts';
import { advanceBy } from '../helpers/clock.ts';
import { PgProxy } from './proxy.ts';
import { countRows, DATABASE_URL, uniqueSchema } from './support.ts';

describe('outage', { skip: DATABASE_URL === undefined ? 'needs DATABASE_URL' : false }, () => {
  let proxy: PgProxy;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    const target = new URL(DATABASE_URL!);
    proxy = await PgProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await proxy.close();
  });

  /** A migrated schema, reached directly (for checks) and through the proxy (for the writer). */
  async function databases(): Promise<{ direct: Db; proxied: Db }> {
    const schema = uniqueSchema();
    const direct = await openDb({ url: DATABASE_URL!, schema });
    await migrate(direct);
    const url = new URL(DATABASE_URL!);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const proxied = await openDb({ url: url.toString(), schema, maxConnections: 2 });
    cleanups.push(async () => {
      await proxied.close();
      await direct.exec(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
      await direct.close();
    });
    return { direct, proxied };
  }

  function writerFor(db: Db, extra: Partial<ConstructorParameters<typeof Writer>[0]> = {}): Writer {
    return new Writer({ db, retryMinMs: 50, retryMaxMs: 1000, flushIntervalMs: 50, batchSamples: 5000, attemptTimeoutMs: 10_000, ...extra });
  }

  /** One collection cycle: `series` samples at `ts`, value cycle × 10^4 + i. */
  function cycleSamples(cycle: number, ts: number, series: number): Sample[] {
    return Array.from({ length: series }, (_, i) => ({ metric: 'sluice_test_value', labels: { cluster: 'c1', i: String(i) }, ts, value: cycle * 10_000 + i }));
  }

  /** Every stored (i, ts, value) as text, and the number of rows. */
  async function stored(db: Db): Promise<{ rows: number; set: Set<string> }> {
    const result = await db.query<{ i: string; ts: number; value: number }>(
      `SELECT se.labels ->> 'i' AS i, (extract(epoch from s.ts) * 1000)::float8 AS ts, s.value FROM samples s JOIN series se ON se.id = s.series_id`,
    );
    return { rows: result.rows.length, set: new Set(result.rows.map((r) => `${r.i}@${r.ts}=${r.value}`)) };
  }

  /**
   * Collects `series` samples every `everyMs` of `clock` for the three phases (up, cut, up again)
   * and returns what was written and the slowest write() during the cut (in real time). The
   * clock moves in 10 ms steps, letting the writer's flushes and retries run between them.
   */
  async function collectThroughCut(writer: Writer, head: Head, clock: VirtualClock, phases: { beforeMs: number; cutMs: number; afterMs: number }, series: number, everyMs: number) {
    const expected = new Set<string>();
    const t0 = clock.now();
    let cycle = 0;
    let slowestDuringCut = 0;
    let sawBuffering = false;
    let sawFailing = false;
    let headCurrentDuringCut = true;
    const run = async (ms: number, cut: boolean) => {
      const end = clock.now() + ms;
      while (clock.now() < end) {
        const ts = t0 + cycle * everyMs;
        const samples = cycleSamples(cycle, ts, series);
        const started = performance.now();
        await writer.write(samples);
        if (cut) {
          slowestDuringCut = Math.max(slowestDuringCut, performance.now() - started);
          sawBuffering ||= writer.stats().buffering;
          sawFailing ||= writer.health().failingSince !== undefined;
          const latest = head.selectSync([{ name: 'i', type: '=', value: '0' }], ts, ts);
          headCurrentDuringCut &&= latest[0]?.values[0] === cycle * 10_000;
        }
        for (const s of samples) expected.add(`${s.labels.i}@${s.ts}=${s.value}`);
        cycle++;
        await advanceBy(clock, everyMs, 10);
      }
    };
    await run(phases.beforeMs, false);
    proxy.cut();
    await run(phases.cutMs, true);
    proxy.restore();
    await run(phases.afterMs, false);
    return { expected, slowestDuringCut, sawBuffering, sawFailing, headCurrentDuringCut };
  }

  test('a cut of a few seconds: every sample is stored once, and write() never waits', async () => {
    const { direct, proxied } = await databases();
    const head = new Head();
    const clock = new VirtualClock(Math.floor(Date.now() / 1000) * 1000);
    const writer = writerFor(proxied, { head, clock });
    const run = await collectThroughCut(writer, head, clock, { beforeMs: 1000, cutMs: 3000, afterMs: 1000 }, 200, 100);
    await writer.flush();
    await writer.close();
    const { rows, set } = await stored(direct);
    assert.equal(rows, run.expected.size, 'no sample stored twice');
    assert.deepEqual(set, run.expected, 'every sample stored, with its value');
    assert.ok(run.sawBuffering, 'the writer noticed the outage');
    assert.ok(run.sawFailing, 'the writer said its writes were failing (the readiness check reads this)');
    assert.deepEqual(writer.health(), {}, 'and says so no more once the backlog is written');
    assert.ok(run.headCurrentDuringCut, 'the head kept the newest samples during the cut');
    assert.ok(run.slowestDuringCut < 200, `write() took ${run.slowestDuringCut} ms during the cut`);
    assert.ok(writer.stats().failures > 0);
    assert.deepEqual(Object.values(writer.stats().dropped), [0, 0, 0, 0, 0, 0, 0]);
  });

  // The writer alone through a 20 s cut; the full service through a 60 s one is test/app.test.ts.
  test('PostgreSQL unreachable for 20 s while collecting: after recovery every sample of the outage is stored, none twice', async () => {
    const { direct, proxied } = await databases();
    const head = new Head();
    const clock = new VirtualClock(Math.floor(Date.now() / 1000) * 1000);
    const writer = writerFor(proxied, { head, retryMaxMs: 2000, clock });
    const run = await collectThroughCut(writer, head, clock, { beforeMs: 2000, cutMs: 20_000, afterMs: 3000 }, 500, 1000);
    await writer.flush();
    await writer.close();
    const { rows, set } = await stored(direct);
    assert.ok(run.expected.size >= 500 * 24, `collected ${run.expected.size} samples`);
    assert.equal(rows, run.expected.size, 'no sample stored twice');
    assert.deepEqual(set, run.expected, 'every sample stored, with its value');
    assert.ok(run.sawBuffering && run.headCurrentDuringCut);
    assert.ok(run.slowestDuringCut < 200, `write() took ${run.slowestDuringCut} ms during the cut`);
    assert.deepEqual(Object.values(writer.stats().dropped), [0, 0, 0, 0, 0, 0, 0]);
  });

  test('a COPY that committed but whose answer was lost is not stored again by the retry', async () => {
    const { direct, proxied } = await databases();
    const writer = writerFor(proxied);
    const t0 = Date.now() - 60_000;
    await writer.write(cycleSamples(0, t0, 100)); // series ids and partitions are known from here on
    await writer.flush();
    const lost = proxy.loseAnswerToNextCopy(500);
    await writer.write(cycleSamples(1, t0 + 1000, 100));
    const flushed = writer.flush();
    await lost;
    await sleep(300);
    assert.equal(await countRows(direct, 'samples'), 200, 'the server committed the batch the writer never heard back about');
    await flushed;
    await writer.write(cycleSamples(2, t0 + 2000, 100));
    await writer.close();
    const { rows } = await stored(direct);
    assert.equal(rows, 300);
    assert.ok(writer.stats().failures >= 1, 'the lost answer was a failure, retried');
    assert.equal(writer.stats().written, 300);
  });

  test('beyond the outage buffer the newest samples are dropped, counted exactly and exported', async () => {
    const { direct, proxied } = await databases();
    const registry = new Registry();
    const writer = writerFor(proxied, { registry, maxBufferedSamples: 1000 });
    const t0 = Date.now() - 60_000;
    await writer.write(cycleSamples(0, t0, 300));
    await writer.flush();
    proxy.cut();
    await writer.write(cycleSamples(1, t0 + 1000, 300));
    const flushed = writer.flush();
    while (!writer.stats().buffering) await sleep(10);
    for (let cycle = 2; cycle <= 10; cycle++) await writer.write(cycleSamples(cycle, t0 + cycle * 1000, 300));
    assert.equal(writer.stats().queued, 1000);
    proxy.restore();
    await flushed;
    await writer.close();
    // 300 before the cut, then 1000 buffered of the 3000 written during it.
    assert.equal(await countRows(direct, 'samples'), 1300);
    assert.equal(writer.stats().dropped.buffer_full, 2000);
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'sluice_samples_dropped_total');
    assert.equal(metric?.values.find((v) => v.labels.reason === 'buffer_full')?.value, 2000);
    const { set } = await stored(direct);
    assert.ok(set.has(`99@${t0 + 4000}=40099`) && !set.has(`0@${t0 + 5000}=50000`), 'what was kept is the oldest, in order');
  });

  test('events recorded while PostgreSQL is unreachable are stored after recovery, in order; beyond the buffer they are counted', async () => {
    const { direct, proxied } = await databases();
    const drops: number[] = [];
    const clock = new VirtualClock(Date.now());
    const recorder = new EventRecorder(proxied, { retryMs: 100, limit: 3, clock, onDrop: (n) => drops.push(n) });
    const t0 = Date.now() - 60_000;
    const event = (i: number) => ({ ts: t0 + i * 1000, cluster: 'c1', kind: 'broker_down', subject: `broker ${i}`, details: { broker: i } });
    await recorder.record([event(0)]);
    proxy.cut();
    await recorder.record([event(1)]);
    await recorder.record([event(2), event(3), event(4)]);
    assert.equal(recorder.waiting, 3);
    assert.deepEqual(drops, [1]);
    proxy.restore();
    const deadline = Date.now() + 10_000;
    while (recorder.waiting > 0 && Date.now() < deadline) await advanceBy(clock, 100, 100);
    await recorder.close();
    const stored = await listEvents(direct, { from: t0 - 1, to: t0 + 10_000 });
    assert.deepEqual(stored.map((e) => e.subject), ['broker 0', 'broker 1', 'broker 2', 'broker 3']);
    assert.equal(recorder.dropped, 1);
  });
});
