import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { deleteEventsBefore, listEvents, recordEvents } from '../../src/store/events.ts';
import { Head } from '../../src/store/head.ts';
import { openDb } from '../../src/store/db.ts';
import { PgQuerier } from '../../src/store/pg-querier.ts';
import { SeriesCache } from '../../src/store/series-cache.ts';
import { quoteIdent } from '../../src/store/sql.ts';
import { openStore } from '../../src/store/store.ts';
import type { Matcher, Sample, SeriesData } from '../../src/store/types.ts';
import { warmHead } from '../../src/store/warm.ts';
import { Writer } from '../../src/store/writer.ts';
import { isStaleNaN, STALE_NAN } from '../../src/rules/promql/stale.ts';
import { DATABASE_URL, forEachBackend, HOUR, MINUTE, NOW, sortKeys, uniqueSchema } from './support.ts';
import { VirtualClock } from '../../src/clock.ts';

function plain(series: readonly SeriesData[]) {
  return series
    .map((s) => [`${s.metric}${JSON.stringify(sortKeys(s.labels))}`, [...s.ts], [...s.values]] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const SERIES: { metric: string; labels: Record<string, string> }[] = [
  { metric: 'lag', labels: { cluster: 'c1', group: 'billing', topic: 'orders' } },
  { metric: 'lag', labels: { cluster: 'c1', group: 'search', topic: 'orders' } },
  { metric: 'lag', labels: { cluster: 'c2', group: 'billing' } },
  { metric: 'bytes_in', labels: { cluster: 'c1', topic: 'orders' } },
];
const SAMPLES: Sample[] = SERIES.flatMap((s, i) => Array.from({ length: 12 }, (_, k) => ({ ...s, ts: NOW - 3 * HOUR + k * 15 * MINUTE, value: i * 100 + k + 0.25 })));

const SELECTORS: Matcher[][] = [
  [{ name: '__name__', type: '=', value: 'lag' }, { name: 'group', type: '=', value: 'billing' }],
  [{ name: '__name__', type: '=', value: 'lag' }, { name: 'topic', type: '!=', value: 'orders' }],
  [{ name: '__name__', type: '=', value: 'lag' }, { name: 'topic', type: '=', value: '' }],
  [{ name: '__name__', type: '=', value: 'lag' }, { name: 'group', type: '=~', value: 'bill|sea' }],
  [{ name: '__name__', type: '=', value: 'lag' }, { name: 'group', type: '=~', value: 'bill.*|sea.*' }],
  [{ name: 'cluster', type: '!~', value: 'c2' }],
  [{ name: '__name__', type: '=~', value: 'bytes_.*' }],
  [{ name: '__name__', type: '!=', value: 'lag' }],
  [],
];

forEachBackend((backend) => {
  test('the PostgreSQL querier answers every selector exactly as the head does', async () => {
    const db = await backend.fresh();
    const head = new Head({ windowMs: 24 * HOUR });
    const writer = new Writer({ db, head, clock: new VirtualClock(NOW) });
    await writer.write(SAMPLES);
    await writer.close();
    const querier = new PgQuerier(db);
    for (const [from, to] of [[NOW - 3 * HOUR, NOW], [NOW - 2 * HOUR, NOW - HOUR], [NOW - 3 * HOUR + 1, NOW - 3 * HOUR + 15 * MINUTE]]) {
      for (const matchers of SELECTORS) {
        assert.deepEqual(plain(await querier.select(matchers, from!, to!)), plain(await head.select(matchers, from!, to!)), JSON.stringify(matchers));
      }
    }
    assert.equal((await querier.select([], NOW - 3 * HOUR, NOW)).length, 4);
  });

  test('warming loads the window into the head, and a re-sent sample is then a duplicate', async () => {
    const db = await backend.fresh();
    const writer = new Writer({ db, clock: new VirtualClock(NOW) });
    await writer.write(SAMPLES);
    await writer.close();
    const head = new Head(); // 2 h: from NOW - 2 h, i.e. k = 4 … 11 of each series
    const cache = new SeriesCache();
    assert.deepEqual(await warmHead(db, head, cache, NOW), { series: 4, samples: 32 });
    assert.deepEqual(plain(head.selectSync([{ name: 'group', type: '=', value: 'search' }], 0, Infinity)), [
      ['lag{"cluster":"c1","group":"search","topic":"orders"}', Array.from({ length: 8 }, (_, j) => NOW - 2 * HOUR + j * 15 * MINUTE), Array.from({ length: 8 }, (_, j) => 104.25 + j)],
    ]);
    const again = new Writer({ db, cache, head, clock: new VirtualClock(NOW) });
    await again.write([SAMPLES[11]!, { ...SAMPLES[11]!, ts: NOW, value: 1 }]);
    await again.close();
    assert.equal(again.stats().dropped.duplicate, 1);
    assert.equal(again.stats().written, 1);
  });

  test('warming keeps staleness markers: a series that ended stays ended after a restart', async () => {
    const db = await backend.fresh();
    const writer = new Writer({ db, clock: new VirtualClock(NOW) });
    const labels = { cluster: 'c1', alertname: 'Resolved' };
    await writer.write([{ metric: 'ALERTS', labels, ts: NOW - 2 * MINUTE, value: 1 }, { metric: 'ALERTS', labels, ts: NOW - MINUTE, value: STALE_NAN }]);
    await writer.close();
    const head = new Head();
    assert.deepEqual(await warmHead(db, head, new SeriesCache(), NOW), { series: 1, samples: 2 });
    const [series] = head.selectSync([{ name: '__name__', type: '=', value: 'ALERTS' }], 0, Infinity);
    assert.deepEqual([...series!.values].map((v) => (isStaleNaN(v) ? 'stale' : v)), [1, 'stale']);
  });

  test('events are stored and listed by time, cluster and kind, and deleted by age', async () => {
    const db = await backend.fresh();
    await recordEvents(db, [
      { ts: NOW, cluster: 'c1', kind: 'broker_down', subject: 'broker 2', details: { reason: 'connection refused' } },
      { ts: NOW + 1000, cluster: 'c1', kind: 'leader_change', subject: 'orders-0', details: { from: 2, to: 1 } },
      { ts: NOW + 2000, cluster: 'c2', kind: 'broker_up', subject: 'broker 1' },
    ]);
    const all = await listEvents(db, { from: NOW, to: NOW + 2000 });
    assert.deepEqual(all.map(({ id, ...e }) => (assert.equal(typeof id, 'number'), e)), [
      { ts: NOW, cluster: 'c1', kind: 'broker_down', subject: 'broker 2', details: { reason: 'connection refused' } },
      { ts: NOW + 1000, cluster: 'c1', kind: 'leader_change', subject: 'orders-0', details: { from: 2, to: 1 } },
      { ts: NOW + 2000, cluster: 'c2', kind: 'broker_up', subject: 'broker 1', details: {} },
    ]);
    assert.deepEqual((await listEvents(db, { from: 0, to: Infinity, cluster: 'c1', kind: 'leader_change' })).map((e) => e.subject), ['orders-0']);
    assert.equal(await deleteEventsBefore(db, NOW + 1000), 1);
    assert.equal((await listEvents(db, { from: 0, to: NOW + 5000 })).length, 2);
  });
});

describe('openStore', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  const targets: { name: string; options: () => { url?: string; dataDir?: string; schema?: string } }[] = [
    {
      name: 'pglite (data directory)',
      options: (() => {
        let dir: string | undefined;
        return () => {
          if (dir === undefined) {
            dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
            cleanups.push(() => rmSync(dir!, { recursive: true, force: true }));
          }
          return { dataDir: dir };
        };
      })(),
    },
  ];
  if (DATABASE_URL !== undefined) {
    const schema = uniqueSchema();
    targets.push({ name: 'postgres', options: () => ({ url: DATABASE_URL, schema }) });
    cleanups.push(async () => {
      const db = await openDb({ url: DATABASE_URL });
      await db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await db.close();
    });
  }

  for (const target of targets) {
    test(`${target.name}: migrates, writes through head and database, and warms the head when reopened`, async () => {
      const now = Date.now();
      const registry = new Registry();
      const store = await openStore({ ...target.options(), writer: { flushIntervalMs: 20 } }, { registry, clock: new VirtualClock(now) });
      await store.writer.write([
        { metric: 'sluice_up', labels: { cluster: 'c1' }, ts: now - 1000, value: 1 },
        { metric: 'sluice_up', labels: { cluster: 'c1' }, ts: now, value: 0 },
      ]);
      const selector: Matcher[] = [{ name: '__name__', type: '=', value: 'sluice_up' }];
      assert.deepEqual(plain(await store.head.select(selector, now - HOUR, now)), [['sluice_up{"cluster":"c1"}', [now - 1000, now], [1, 0]]]);
      await store.writer.flush();
      assert.deepEqual(plain(await store.history.select(selector, now - HOUR, now)), [['sluice_up{"cluster":"c1"}', [now - 1000, now], [1, 0]]]);
      assert.match(await registry.metrics(), /sluice_samples_written_total 2/);
      await store.close();

      const reopened = await openStore(target.options(), { clock: new VirtualClock(now) });
      try {
        assert.deepEqual(plain(await reopened.head.select(selector, now - HOUR, now)), [['sluice_up{"cluster":"c1"}', [now - 1000, now], [1, 0]]]);
      } finally {
        await reopened.close();
      }
    });
  }
});

describe('schemas on one PostgreSQL database', { skip: DATABASE_URL === undefined }, () => {
  test('a store in its own schema never resolves to the public schema\'s tables or partitions', async () => {
    // A store in the database's default schema (public) holds the same tables and partitions; a
    // store in its own schema must still create and use its own. (The public tables are left in
    // place: other runs on the same database use them too.)
    const shared = await openStore({ url: DATABASE_URL! }, { clock: new VirtualClock(NOW) });
    await shared.writer.write([{ metric: 'schema_probe', labels: { cluster: 'c' }, ts: NOW, value: 1 }]);
    await shared.close();
    const mine = uniqueSchema();
    const b = await openStore({ url: DATABASE_URL!, schema: mine }, { clock: new VirtualClock(NOW) });
    try {
      await b.writer.write([{ metric: 'schema_probe', labels: { cluster: 'c' }, ts: NOW + 1, value: 2 }]);
      await b.writer.flush();
      const rows = await b.db.query<{ value: number; schema: string }>(
        `SELECT s.value, n.nspname AS schema FROM samples s JOIN pg_class c ON c.oid = s.tableoid JOIN pg_namespace n ON n.oid = c.relnamespace`,
      );
      assert.deepEqual(rows.rows, [{ value: 2, schema: mine }]);
    } finally {
      await b.close();
      const admin = await openDb({ url: DATABASE_URL! });
      await admin.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(mine)} CASCADE`);
      await admin.close();
    }
  });
});
