import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildApp } from '../src/app.ts';
import { parseSluiceConfig } from '../src/config/sluice.ts';
import { startCluster } from '../src/kafka/broker/index.ts';
import { silentLogger } from '../src/telemetry/logger.ts';
import { DATABASE_URL, uniqueSchema } from './store/support.ts';

const backends = [
  { name: 'pglite', store: {} },
  ...(DATABASE_URL === undefined ? [] : [{ name: 'postgres', store: { url: DATABASE_URL, schema: uniqueSchema() } }]),
];

for (const backend of backends) {
  describe(`buildApp (${backend.name})`, () => {
    test('stores the collectors\' samples and events, and stops cleanly', async () => {
      const running = await startCluster({ port: 0, brokers: 3, metricsPort: 0, logger: silentLogger() });
      // Stopped in `finally` too, so a failed assertion never leaves timers and connections open.
      let stopApp = async (): Promise<void> => {};
      try {
        const nodes = running.cluster.nodes.filter((n) => n !== undefined);
        const config = parseSluiceConfig({
          store: backend.store,
          clusters: [
            {
              name: 'test',
              bootstrap: nodes.map((n) => `${running.host}:${n.port}`),
              metrics: nodes.map((n) => ({ url: `http://${running.host}:${n.metricsPort}/metrics`, broker: n.nodeId })),
              intervals: { host: 3600, cluster: 3600, topics: 3600, clients: 3600 },
            },
          ],
        });
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
