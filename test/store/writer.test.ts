import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { isSluiceError } from '../../src/errors.ts';
import { Head } from '../../src/store/head.ts';
import { Writer } from '../../src/store/writer.ts';
import { countRows, DAY, forEachBackend, grid, NOW, storedRows } from './support.ts';
import { VirtualClock } from '../../src/clock.ts';
import { advanceBy } from '../helpers/clock.ts';

const TIMES = Array.from({ length: 10 }, (_, i) => NOW + i * 15_000);

/** The value of `sluice_samples_dropped_total` for `reason` in `registry`. */
async function droppedMetric(registry: Registry, reason: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'sluice_samples_dropped_total');
  return metric?.values.find((v) => v.labels.reason === reason)?.value;
}

forEachBackend((backend) => {
  test('stores exactly the rows written, across several batches', async () => {
    const db = await backend.fresh();
    const writer = new Writer({ db, clock: new VirtualClock(NOW), batchSamples: 120, flushIntervalMs: 10 });
    const samples = grid('kafka_topic_partition_current_offset', 50, TIMES);
    for (let i = 0; i < samples.length; i += 100) await writer.write(samples.slice(i, i + 100));
    await writer.flush();
    const expected = samples
      .map((s) => [`${s.metric}${JSON.stringify(s.labels)}`, s.ts, s.value] as [string, number, number])
      .sort((a, b) => Number(a[0].match(/"i":"(\d+)"/)![1]) - Number(b[0].match(/"i":"(\d+)"/)![1]) || a[1] - b[1]);
    assert.deepEqual(await storedRows(db), expected);
    await writer.close();
    assert.deepEqual(writer.stats(), {
      written: 500,
      queued: 0,
      buffering: false,
      bufferLimit: 200_000,
      dropped: { buffer_full: 0, duplicate: 0, out_of_order: 0, out_of_range: 0, invalid: 0, rejected: 0, shutdown: 0 },
      failures: 0,
    });
    await assert.rejects(writer.write(samples.slice(0, 1)), (err) => isSluiceError(err, 'SLUICE_ERR_STORE_CLOSED'));
  });

  test('drops duplicates, out-of-order and out-of-range samples, counting and exporting each', async () => {
    const db = await backend.fresh();
    const registry = new Registry();
    const writer = new Writer({ db, registry, clock: new VirtualClock(NOW), flushIntervalMs: 10 });
    const at = (ts: number, value: number) => ({ metric: 'm', labels: { cluster: 'c1' }, ts, value });
    await writer.write([at(NOW, 1), at(NOW, 2), at(NOW - 1000, 3), at(NOW + 1000, 4)]);
    await writer.write([at(NOW + 1000, 5), at(NOW - 8 * DAY, 6), at(NOW + 2 * DAY, 7)]);
    await writer.close();
    assert.deepEqual((await storedRows(db)).map((r) => r.slice(1)), [[NOW, 1], [NOW + 1000, 4]]);
    assert.deepEqual(writer.stats().dropped, { buffer_full: 0, duplicate: 2, out_of_order: 1, out_of_range: 2, invalid: 0, rejected: 0, shutdown: 0 });
    assert.equal(await droppedMetric(registry, 'duplicate'), 2);
    assert.equal(await droppedMetric(registry, 'out_of_order'), 1);
    assert.equal(await droppedMetric(registry, 'out_of_range'), 2);
  });

  test('refuses a batch holding a sample without cluster, accepting nothing from it', async () => {
    const db = await backend.fresh();
    const writer = new Writer({ db, clock: new VirtualClock(NOW) });
    await assert.rejects(
      writer.write([
        { metric: 'ok_metric', labels: { cluster: 'c1' }, ts: NOW, value: 1 },
        { metric: 'kafka_server_replicamanager_underreplicatedpartitions', labels: { broker: '1' }, ts: NOW, value: 0 },
      ]),
      (err) => isSluiceError(err, 'SLUICE_ERR_STORE_SAMPLE_INVALID') && /kafka_server_replicamanager_underreplicatedpartitions has no "cluster" label/.test(err.message),
    );
    await assert.rejects(writer.write([{ metric: 'm', labels: { cluster: 'c1' }, ts: Number.NaN, value: 1 }]), /ts must be a finite number/);
    await writer.close();
    assert.equal(await countRows(db, 'samples'), 0);
    assert.equal(writer.stats().dropped.invalid, 3);
  });

  test('feeds the head before the database, and write() waits while the queue is full', async () => {
    const db = await backend.fresh();
    const head = new Head();
    // Batches never fill and the interval is long: nothing is written until flush() is called.
    const clock = new VirtualClock(NOW);
    const writer = new Writer({ db, head, clock, maxQueuedSamples: 5, batchSamples: 1000, flushIntervalMs: 60_000 });
    const samples = grid('m', 3, [NOW, NOW + 1000, NOW + 2000]);
    await writer.write(samples.slice(0, 3));
    assert.equal(head.selectSync([], NOW, NOW).length, 3, 'visible in the head at once');
    let accepted = false;
    const second = writer.write(samples.slice(3, 6)).then(() => (accepted = true));
    const third = writer.write(samples.slice(6, 9));
    await advanceBy(clock, 50, 10);
    assert.equal(accepted, false, 'waits: 3 queued + 3 > 5');
    assert.equal(writer.stats().queued, 3);
    assert.equal(await countRows(db, 'samples'), 0);
    assert.equal(head.sampleCount, 9, 'the head has the waiting samples too');
    await writer.flush();
    await Promise.all([second, third]);
    assert.equal(await countRows(db, 'samples'), 9);
    await writer.close();
  });

  test('a batch already stored (a restart without a warm head) is not stored twice', async () => {
    const db = await backend.fresh();
    const first = new Writer({ db, clock: new VirtualClock(NOW) });
    const samples = grid('m', 20, TIMES.slice(0, 5));
    await first.write(samples);
    await first.close();
    const second = new Writer({ db, clock: new VirtualClock(NOW) });
    await second.write([...samples, ...grid('m', 20, TIMES.slice(5))]);
    await second.close();
    assert.equal(await countRows(db, 'samples'), 200);
    const distinct = await db.query<{ n: number }>('SELECT count(DISTINCT (series_id, ts))::int4 AS n FROM samples');
    assert.equal(distinct.rows[0]!.n, 200);
    assert.deepEqual(second.stats().dropped.rejected, 0);
  });
});
