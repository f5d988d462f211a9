import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app.ts';
import { parseSluiceConfig } from '../src/app-config.ts';
import { VirtualClock } from '../src/clock.ts';
import { startCluster, type RunningCluster } from '../src/kafka/broker/index.ts';
import { silentLogger } from '../src/telemetry/logger.ts';
import { BACKENDS, DATABASE_URL, storeLocation, uniqueSchema } from './helpers/backends.ts';
import { serviceConfigFor } from './helpers/service.ts';
import { PgProxy } from './store/proxy.ts';
import { openDb } from '../src/store/db.ts';
import { waitFor } from './helpers/broker.ts';
import { settle } from './helpers/clock.ts';

const backends = BACKENDS.map((name) => ({ name, store: storeLocation(name) }));

/** The cluster of the tests that leave it as they found it (a test that stops brokers starts its own). */
let shared: RunningCluster;
before(async () => {
  shared = await startCluster({ port: 0, brokers: 3, metricsPort: 0, logger: silentLogger(), topics: [{ name: 'orders', partitions: 6, replicationFactor: 3 }] });
});
after(async () => {
  await shared?.stop();
});

for (const backend of backends) {
  describe(`buildApp (${backend.name})`, () => {
    test('stores the collectors\' samples and events, and stops cleanly', async () => {
      const running = shared;
      // Stopped in `finally` too, so a failed assertion never leaves timers and connections open.
      let stopApp = async (): Promise<void> => {};
      try {
        const config = serviceConfigFor(running, { name: 'test', store: backend.store, cluster: { intervals: { host: 3600, cluster: 3600, topics: 3600, clients: 3600 } } });
        // jitter 0: every collector's first cycle runs at once; the next is an hour away.
        const app = buildApp(config, { jitter: 0 });
        assert.throws(() => app.store, /not started/);
        stopApp = () => app.stop();
        await app.start();
        const { db } = app.store;
        const deadline = Date.now() + 15_000;
        let alive: number | undefined;
        while (alive === undefined && Date.now() < deadline) {
          await app.store.writer.flush();
          const rows = await db.query<{ value: number }>(
            `SELECT s.value FROM samples s JOIN series r ON r.id = s.series_id JOIN metric m ON m.id = r.metric_id
             WHERE m.name = 'sluice_cluster_brokers_alive' AND r.labels->>'cluster' = 'test'`,
          );
          alive = rows.rows[0]?.value;
          if (alive === undefined) await new Promise((r) => setTimeout(r, 200));
        }
        assert.equal(alive, 3);
        const stats = app.scheduler.stats('cluster', 'test');
        assert.equal(stats?.errors, 0);
        await app.stop();
        await app.stop();
        assert.throws(() => app.store, /not started/);
      } finally {
        await stopApp();
      }
    });

    test('/readyz reports the cluster unreachable while none of its brokers answers, and ready again once one does', async () => {
      const running = await startCluster({ port: 0, brokers: 3, logger: silentLogger() });
      let stopApp = async (): Promise<void> => {};
      try {
        const nodes = running.cluster.nodes.filter((n) => n !== undefined);
        const config = serviceConfigFor(running, {
          name: 'down',
          store: backend.store,
          cluster: { intervals: { host: 3600, cluster: 0.2, topics: 3600, clients: 3600 }, timeouts: { requestMs: 1000, connectMs: 500 } },
        });
        const app = buildApp(config, { jitter: 0 });
        stopApp = () => app.stop();
        await app.start();
        const readyz = async (): Promise<{ status: number; body: { status: string; checks: { name: string; ok: boolean; detail?: string; degraded?: boolean }[] } }> => {
          const res = await fetch(`${app.apiUrl}/readyz`);
          return { status: res.status, body: await res.json() as never };
        };
        const values = async (metric: string): Promise<number[]> => {
          await app.store.writer.flush();
          const rows = await app.store.db.query<{ value: number }>(
            `SELECT s.value FROM samples s JOIN series r ON r.id = s.series_id JOIN metric m ON m.id = r.metric_id
             WHERE m.name = $1 AND r.labels->>'cluster' = 'down' ORDER BY s.ts`,
            [metric],
          );
          return rows.rows.map((r) => r.value);
        };
        await waitFor(async () => (await values('sluice_cluster_brokers_alive')).includes(3), 10_000, 'a cycle reaching the cluster');
        assert.deepEqual(await readyz(), { status: 200, body: { status: 'ready', checks: [{ name: 'database', ok: true }, { name: 'writes', ok: true }, { name: 'collectors', ok: true }, { name: 'rules', ok: true }, { name: 'clusters', ok: true }] } });

        for (const n of nodes) await running.cluster.stopBroker(n.nodeId);
        await waitFor(async () => (await readyz()).body.status === 'degraded', 10_000, '/readyz to report the cluster');
        const { status, body } = await readyz();
        // The service keeps serving (its alerts are what people need now): 200, degraded.
        assert.equal(status, 200);
        assert.deepEqual(body.checks.map((c) => [c.name, c.ok, c.degraded ?? false]), [['database', true, false], ['writes', true, false], ['collectors', true, false], ['rules', true, false], ['clusters', false, true]]);
        assert.match(body.checks[4]!.detail!, /^cluster down unreachable since \d{4}-\d\d-\d\dT[\d:.]+Z: metadata: no broker answered \(/);
        assert.equal((await values('sluice_cluster_up')).at(-1), 0);

        await running.cluster.startBroker(1);
        await waitFor(async () => (await readyz()).body.status === 'ready', 10_000, '/readyz to be ready again');
      } finally {
        await stopApp();
        await running.stop();
      }
    });
  });
}

describe('buildApp', () => {
  test('stop before start does nothing; a failing collector build closes the store', async () => {
    const config = parseSluiceConfig({ clusters: [{ name: 'x', bootstrap: ['127.0.0.1:1'] }] });
    await buildApp(config).stop();
    const app = buildApp(config, {
      collectors: () => {
        throw new Error('boom');
      },
    });
    await assert.rejects(app.start(), /boom/);
    assert.throws(() => app.store, /not started/);
    await app.stop();
  });

  test('describes where data goes without credentials', () => {
    const base = { clusters: [{ name: 'x', bootstrap: ['127.0.0.1:1'] }] };
    assert.equal(buildApp(parseSluiceConfig(base)).destination, 'PGlite (in memory; data is lost at exit)');
    assert.equal(buildApp(parseSluiceConfig({ ...base, store: { dataDir: '/var/lib/sluice' } })).destination, 'PGlite at /var/lib/sluice');
    assert.match(buildApp(parseSluiceConfig({ ...base, store: { url: 'postgres://u:pw@db:5432/s' } })).destination, /^PostgreSQL at postgres:\/\/u:\*+@db:5432\/s$|^PostgreSQL at .*db:5432\/s$/);
    assert.doesNotMatch(buildApp(parseSluiceConfig({ ...base, store: { url: 'postgres://u:pw@db:5432/s' } })).destination, /pw/);
  });
});

describe('buildApp: PostgreSQL unreachable for 60 s while the collectors run', { skip: DATABASE_URL === undefined ? 'needs DATABASE_URL' : false }, () => {
  test('after recovery every sample the collectors produced during the outage is stored, none twice, and collection never stopped', async () => {
    const target = new URL(DATABASE_URL!);
    const proxy = await PgProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const running = shared;
    const schema = uniqueSchema();
    const proxied = new URL(DATABASE_URL!);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    let stopApp = async (): Promise<void> => {};
    const direct = await openDb({ url: DATABASE_URL!, schema });
    try {
      const first = running.cluster.nodes.find((n) => n !== undefined)!;
      const config = serviceConfigFor(running, {
        name: 'test',
        store: { url: proxied.toString(), schema },
        cluster: { hosts: [`http://${running.host}:${first.metricsPort}/metrics`], intervals: { host: 1, cluster: 1, topics: 1, clients: 1 } },
      });
      // Every timer of the service (collection, writer flushes and retries) runs on this clock; the
      // brokers and PostgreSQL are real. Each step moves it one collection interval and waits until
      // every collector has finished the cycle that fell due.
      const clock = new VirtualClock(Date.now());
      const app = buildApp(config, { jitter: 0, clock });
      stopApp = () => app.stop();
      const collectors = ['host', 'cluster', 'topics', 'clients'];
      const cycles = (): number[] => collectors.map((name) => app.scheduler.stats(name, 'test')?.cycles ?? 0);
      const step = async (seconds: number): Promise<void> => {
        for (let i = 0; i < seconds; i++) {
          const before = cycles();
          clock.advance(1000);
          await waitFor(() => cycles().every((n, k) => n > before[k]!), 10_000, `every collector's cycle at ${new Date(clock.now()).toISOString()}`);
          await settle();
        }
      };
      const started = clock.now();
      await app.start();
      clock.advance(0); // jitter 0: every collector's first cycle is due now
      await waitFor(() => cycles().every((n) => n > 0), 10_000, 'the first cycle of every collector');
      await step(3);
      const cyclesBefore = app.scheduler.stats('cluster', 'test')!.cycles;
      proxy.cut();
      await step(60);
      const duringCut = app.scheduler.stats('cluster', 'test')!.cycles - cyclesBefore;
      const buffered = app.store.writer.stats().buffering;
      const healthDuringCut = app.store.writer.health();
      // The writer's own series reach the head while PostgreSQL is down, so rules see them.
      const failing = app.store.head.selectSync([{ name: '__name__', type: '=', value: 'sluice_store_write_failing' }, { name: 'cluster', type: '=', value: 'test' }], clock.now() - 30_000, clock.now());
      proxy.restore();
      // The writer retries at most 10 s apart (retryMaxMs): by then the backlog is written.
      await step(5);
      for (let waited = 5; waited < 15 && (app.store.writer.stats().buffering || app.store.writer.health().failingSince !== undefined); waited++) await step(1);
      const head = app.store.head;
      const writerStats = app.store.writer.stats();
      const writer = app.store.writer;
      await app.stop();
      const healthAfter = writer.health();
      // What the collectors handed the writer (the head holds every accepted sample of the run).
      const accepted = head.selectSync([{ name: 'cluster', type: '=', value: 'test' }], started - 1000, clock.now() + 1000);
      const expected = new Map<string, number>();
      let acceptedSamples = 0;
      for (const series of accepted) {
        const key = JSON.stringify([series.metric, series.labels]);
        expected.set(key, series.ts.length);
        acceptedSamples += series.ts.length;
      }
      const rows = await direct.query<{ metric: string; labels: Record<string, string>; n: number; distinct_ts: number }>(
        `SELECT m.name AS metric, r.labels, count(*)::int AS n, count(DISTINCT s.ts)::int AS distinct_ts
           FROM samples s JOIN series r ON r.id = s.series_id JOIN metric m ON m.id = r.metric_id GROUP BY m.name, r.labels`,
      );
      const storedCounts = new Map<string, number>();
      for (const row of rows.rows) {
        assert.equal(row.n, row.distinct_ts, `${row.metric} ${JSON.stringify(row.labels)}: a sample stored twice`);
        const sorted = Object.fromEntries(Object.entries(row.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
        storedCounts.set(JSON.stringify([row.metric, sorted]), row.n);
      }
      assert.ok(duringCut >= 50, `cluster collector cycles during the 60 s cut: ${duringCut}`);
      assert.ok(buffered, 'the writer was buffering during the cut');
      assert.ok(healthDuringCut.failingSince !== undefined && healthDuringCut.failingSince <= started + 3000 + 60_000 && healthDuringCut.failingSince > started, 'the writes check was failing during the cut');
      assert.deepEqual(healthAfter, {}, 'and is not once the backlog is written');
      assert.equal(failing.length, 1);
      assert.equal(failing[0]!.values.at(-1), 1, 'sluice_store_write_failing is 1 during the cut');
      assert.deepEqual(Object.values(writerStats.dropped).filter((n) => n !== 0), [], 'nothing dropped');
      assert.ok(acceptedSamples > 1000, `samples accepted: ${acceptedSamples}`);
      assert.equal(storedCounts.size, expected.size, 'every series stored');
      assert.deepEqual(storedCounts, expected, 'every accepted sample stored, once');
    } finally {
      await stopApp();
      await direct.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await direct.close();
      await proxy.close();
    }
  });
});
