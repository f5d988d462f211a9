// A batch the database refuses in part: the writer finds the refused series or samples, stores
// the rest, counts the refused by cluster and reason, and does not send a refused series again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { Head } from '../../src/store/head.ts';
import type { Db } from '../../src/store/types.ts';
import { Writer } from '../../src/store/writer.ts';
import { MAX_ATTEMPTS, refusalReason } from '../../src/store/writer-isolate.ts';
import { countRows, forEachBackend, grid, NOW } from './support.ts';
import { VirtualClock } from '../../src/clock.ts';
import { timeAt } from '../helpers/clock.ts';

/** Makes the database refuse series with client_id "refuse-me" and samples of value 666, as PostgreSQL refuses values it cannot hold. */
async function refuseSome(db: Db): Promise<void> {
  await db.exec(`
    CREATE FUNCTION refuse_series() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.labels ->> 'client_id' = 'refuse-me' THEN RAISE EXCEPTION 'refused series' USING ERRCODE = '22P05'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_series BEFORE INSERT ON series FOR EACH ROW EXECUTE FUNCTION refuse_series();
    CREATE FUNCTION refuse_sample() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.value = 666 THEN RAISE EXCEPTION 'refused sample' USING ERRCODE = '54000'; END IF;
      IF NEW.value = 999 THEN RAISE EXCEPTION 'disk full' USING ERRCODE = '53100'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_sample BEFORE INSERT ON samples FOR EACH ROW EXECUTE FUNCTION refuse_sample();`);
}

async function refusedMetric(registry: Registry): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'sluice_store_samples_refused_total');
  return Object.fromEntries((metric?.values ?? []).map((v) => [`${v.labels.cluster}/${v.labels.reason}`, v.value]));
}

test('refusal reasons follow the SQLSTATE class', () => {
  assert.equal(refusalReason({ code: '22P05' }), 'invalid_value');
  assert.equal(refusalReason({ code: '54000' }), 'too_large');
  assert.equal(refusalReason({ code: '23514' }), 'constraint');
  assert.equal(refusalReason({ code: '42601' }), 'other');
  assert.equal(refusalReason(new Error('x')), 'other');
});

forEachBackend((backend) => {
  test('one refused series and one refused sample cost nothing else; a refused series is not sent again', async () => {
    const db = await backend.fresh();
    await refuseSome(db);
    const registry = new Registry();
    const head = new Head();
    let now = NOW;
    const writer = new Writer({ db, head, registry, clock: timeAt(() => now), flushIntervalMs: 10, reportIntervalMs: 1000 });
    const good = grid('kafka_server_produce_bytes_total', 40, [NOW]);
    const bad = { metric: 'kafka_server_produce_bytes_total', labels: { cluster: 'c2', client_id: 'refuse-me' }, ts: NOW, value: 1 };
    const badValue = { metric: 'kafka_server_produce_bytes_total', labels: { cluster: 'c1', client_id: 'x' }, ts: NOW, value: 666 };
    await writer.write([...good.slice(0, 20), bad, ...good.slice(20), badValue]);
    await writer.flush();
    assert.equal(await countRows(db, 'samples'), 40);
    assert.deepEqual(await refusedMetric(registry), { 'c2/invalid_value': 1, 'c1/too_large': 1 });
    assert.equal(writer.stats().dropped.rejected, 2);
    assert.deepEqual(writer.health(), {});
    const failures = writer.stats().failures;

    now += 15_000;
    await writer.write([...grid('kafka_server_produce_bytes_total', 40, [now]), { ...bad, ts: now }]);
    await writer.flush();
    assert.equal(await countRows(db, 'samples', ), 80 + 2 + 2 * 4 + 2, 'the new samples, and the writer\'s own series (two reports of two clusters)');
    assert.equal(writer.stats().failures, failures, 'the refused series was not sent again');
    assert.deepEqual(await refusedMetric(registry), { 'c2/invalid_value': 2, 'c1/too_large': 1 });
    const own = head.selectSync([{ name: '__name__', type: '=~', value: 'sluice_store_.*' }, { name: 'reason', type: '!~', value: 'other|constraint' }], now, now);
    assert.deepEqual(
      own.map((s) => [s.metric, s.labels.cluster, s.labels.reason ?? '', [...s.values]]).sort(),
      [
        ['sluice_store_samples_refused_total', 'c1', 'invalid_value', [0]],
        ['sluice_store_samples_refused_total', 'c1', 'too_large', [1]],
        ['sluice_store_samples_refused_total', 'c2', 'invalid_value', [2]],
        ['sluice_store_samples_refused_total', 'c2', 'too_large', [0]],
        ['sluice_store_write_failing', 'c1', '', [0]],
        ['sluice_store_write_failing', 'c2', '', [0]],
        ['sluice_store_write_failures_total', 'c1', '', [failures]],
        ['sluice_store_write_failures_total', 'c2', '', [failures]],
      ],
    );
    await writer.close();
  });

  test('an error about the database as a whole is not split row by row, and many bad rows cost a bounded number of writes', async () => {
    const db = await backend.fresh();
    await refuseSome(db);
    let copies = 0;
    const counted: Db = { ...db, copySamples: (rows, options) => (copies++, db.copySamples(rows, options)) };
    const writer = new Writer({ db: counted, clock: new VirtualClock(NOW), flushIntervalMs: 10 });
    // Disk full (as far as the database says): the batch fails once and is dropped whole, as before.
    await writer.write(grid('m', 100, [NOW], (i) => (i === 50 ? 999 : i)));
    await writer.flush();
    assert.deepEqual([copies, writer.stats().failures, writer.stats().dropped.rejected, await countRows(db, 'samples')], [1, 1, 100, 0]);
    // 5 bad samples among 1,000: exactly those are refused.
    await writer.write(grid('m', 1000, [NOW + 1000], (i) => (i % 200 === 7 ? 666 : 1000 + i)));
    await writer.flush();
    assert.deepEqual([await countRows(db, 'samples'), writer.stats().written, writer.stats().dropped.rejected], [995, 995, 105]);
    // 300 bad samples among 1,000: a bounded number of writes, every sample stored or counted once.
    copies = 0;
    await writer.write(grid('m', 1000, [NOW + 2000], (i) => (i % 10 < 3 ? 666 : 1000 + i)));
    await writer.flush();
    const stored = (await countRows(db, 'samples')) - 995;
    const refused = writer.stats().dropped.rejected - 105;
    assert.ok(copies <= MAX_ATTEMPTS + 1 + Math.ceil(Math.log2(1000)), `${copies} writes`);
    assert.deepEqual([stored + refused, writer.stats().written - 995], [1000, stored]);
    assert.ok(refused >= 300, `${stored} stored, ${refused} refused`);
    // Disk full met half-way through an isolation: what was stored stays counted as stored, and
    // only the rest is dropped.
    await writer.write(grid('m', 1000, [NOW + 3000], (i) => (i === 10 ? 666 : i === 900 ? 999 : 1000 + i)));
    await writer.flush();
    const stored3 = (await countRows(db, 'samples')) - 995 - stored;
    assert.ok(stored3 >= 400 && stored3 < 999, `${stored3} stored`);
    assert.deepEqual([writer.stats().written - 995 - stored, writer.stats().dropped.rejected - 105 - refused], [stored3, 1000 - stored3]);
    await writer.close();
  });
});
