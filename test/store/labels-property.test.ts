// Property: any label values a Kafka client can send (any UTF-16 string: NUL, lone surrogates,
// the separators other code uses, the escape prefix, 64 KiB) go through the path a collector's
// samples take (writer → head and PostgreSQL → PostgreSQL querier, warm-up → rule evaluation,
// alert state) and come back as the same, distinct series, with nothing refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadGroupAlerts, saveGroupAlerts } from '../../src/rules/alert-store.ts';
import { Engine } from '../../src/rules/promql/index.ts';
import { Head } from '../../src/store/head.ts';
import { PgQuerier } from '../../src/store/pg-querier.ts';
import { SeriesCache } from '../../src/store/series-cache.ts';
import { warmHead } from '../../src/store/warm.ts';
import { Writer } from '../../src/store/writer.ts';
import { forEachBackend, NOW } from './support.ts';
import { VirtualClock } from '../../src/clock.ts';

const METRIC = 'kafka_server_produce_byte_rate';

/** One UTF-16 code unit or code point, biased towards the characters that break things. */
const unit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('\u0000', '\\', '"', '\n', '\u00ff', '\u00fe', '\u0001', '\u0002', '\ud800', '\udbff', '\udc00', '\udfff', '\ufffd', 'sluice-escaped:', '=', ',', '}', ' ') },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('a', 'b', '0') },
);
/** A label value: mostly short, sometimes 64 KiB and more. */
const value = fc.oneof(
  { weight: 9, arbitrary: fc.string({ unit, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit, minLength: 1, maxLength: 4 }).map((s) => s.repeat(Math.ceil(65_536 / s.length) + 1)) },
);
/** Up to 5 distinct (client_id, user) pairs. */
const entities = fc.uniqueArray(fc.tuple(value, value), { minLength: 1, maxLength: 5, selector: (e) => JSON.stringify(e) });

const short = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s);

forEachBackend((backend) => {
  test('any client id and user: stored, queried, warmed, evaluated and kept in alert state as the same distinct series', async () => {
    const db = await backend.fresh();
    const head = new Head({ windowMs: 3_600_000 });
    const writer = new Writer({ db, head, clock: new VirtualClock(NOW), flushIntervalMs: 5 });
    const engine = new Engine();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(entities, async (pairs) => {
        const cluster = `run${run++}`;
        const labelsOf = ([client, user]: [string, string]) => ({ cluster, client_id: client, user });
        // What a collector hands the sink: one sample per entity, at two scrape times.
        for (const ts of [NOW - 15_000, NOW]) await writer.write(pairs.map((p, i) => ({ metric: METRIC, labels: labelsOf(p), ts, value: i + 1 + (ts === NOW ? 100 : 0) })));
        await writer.flush();
        assert.equal(writer.stats().dropped.rejected, 0, 'nothing refused');
        assert.deepEqual(writer.health(), {});

        // PostgreSQL querier: all of the run's series, and each one alone by its own values.
        const querier = new PgQuerier(db);
        const all = await querier.select([{ name: '__name__', type: '=', value: METRIC }, { name: 'cluster', type: '=', value: cluster }], NOW - 60_000, NOW);
        assert.equal(all.length, pairs.length);
        for (const [i, [client, user]] of pairs.entries()) {
          const one = await querier.select([{ name: 'cluster', type: '=', value: cluster }, { name: 'client_id', type: '=', value: client }, { name: 'user', type: '=', value: user }], NOW - 60_000, NOW);
          assert.deepEqual(one.map((s) => [s.labels.client_id ?? '', s.labels.user ?? '', [...s.values]]), [[client, user, [i + 1, i + 101]]], `client ${short(client)} user ${short(user)}`);
        }

        // Warm-up from PostgreSQL, then rule evaluation over the warmed head.
        const warmed = new Head({ windowMs: 3_600_000 });
        await warmHead(db, warmed, new SeriesCache(), NOW);
        const result = await engine.instant(`sum by (client_id, user) (${METRIC}{cluster="${cluster}"})`, NOW, warmed);
        assert.equal(result.kind, 'vector');
        const got = result.kind === 'vector' ? result.samples.map((s) => [s.metric.client_id ?? '', s.metric.user ?? '', s.value]) : [];
        const want = pairs.map(([client, user], i) => [client, user, i + 101]);
        const order = (a: (string | number)[], b: (string | number)[]) => (a[2] as number) - (b[2] as number);
        assert.deepEqual(got.sort(order), want.sort(order));

        // Alert state: alerts made from those series are saved and restored unchanged.
        const alerts = pairs.map((p, i) => ({
          rule: 'ClientBusy',
          fingerprint: `f${i}`,
          alert: { labels: { alertname: 'ClientBusy', ...labelsOf(p) }, annotations: { summary: `client ${p[0]} of ${p[1]}` }, state: 'firing' as const, activeAt: NOW - 60_000, firedAt: NOW, value: i + 101 },
        }));
        await saveGroupAlerts(db, `${cluster}.yaml;clients`, alerts, NOW);
        assert.deepEqual(await loadGroupAlerts(db, `${cluster}.yaml;clients`, 0), alerts.map((a) => ({ ...a, updatedAt: NOW })));

        // The run's samples go (its series stay): every run writes at the same two times, so the
        // next run's warm-up would otherwise read every earlier run's samples again, and runs of
        // 64 KiB values made the whole property quadratic in the number of runs. Each run checks
        // only its own cluster's series, so none depends on what an earlier run left.
        await db.exec('DELETE FROM samples');
      }),
      { numRuns: 60 },
    );
    await writer.close();
    assert.equal(writer.stats().dropped.rejected, 0);
  });
});
