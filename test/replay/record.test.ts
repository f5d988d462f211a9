import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { loadFixture } from '../../src/replay/load.ts';
import { openDb, openStore, recordEvents } from '../../src/store/index.ts';
import { DATABASE_URL, uniqueSchema } from '../store/support.ts';
import { captureContext, T0, tempDir } from './support.ts';
import { timeAt } from '../helpers/clock.ts';

/** A store with two clusters' series, rule outputs and events, written through the store's own writer. */
async function storeWithData(): Promise<{ args: string[]; cleanup: () => Promise<void> }> {
  const dir = await tempDir();
  const schema = uniqueSchema();
  const location = DATABASE_URL === undefined ? { dataDir: join(dir, 'data') } : { url: DATABASE_URL, schema };
  const store = await openStore(location, { clock: timeAt(T0 + 600_000) });
  const batch = [];
  for (let i = 0; i < 30; i++) {
    const ts = T0 + i * 10_000;
    batch.push({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', labels: { cluster: 'c1', broker: '0', topic: 'orders' }, ts, value: i * 1000 });
    batch.push({ metric: 'kafka_server_brokertopicmetrics_bytesin_total', labels: { cluster: 'c1', broker: '0', topic: 'clicks' }, ts, value: i * 10 });
    batch.push({ metric: 'sluice_cluster_broker_up', labels: { cluster: 'c1', broker: '0' }, ts, value: 1 });
    batch.push({ metric: 'sluice_cluster_broker_up', labels: { cluster: 'other', broker: '0' }, ts, value: 1 });
    batch.push({ metric: 'ALERTS', labels: { cluster: 'c1', alertname: 'X', alertstate: 'firing' }, ts, value: 1 });
    batch.push({ metric: 'cluster_topic:kafka_server_brokertopicmetrics_bytesin:rate5m', labels: { cluster: 'c1', topic: 'orders' }, ts, value: 100 });
  }
  await store.writer.write(batch);
  await store.writer.flush();
  await recordEvents(store.db, [
    { ts: T0 + 50_000, cluster: 'c1', kind: 'broker_down', subject: 'broker 0' },
    { ts: T0 + 50_000, cluster: 'other', kind: 'broker_down', subject: 'broker 0' },
    { ts: T0 + 900_000, cluster: 'c1', kind: 'broker_up', subject: 'broker 0' },
  ]);
  await store.close();
  const args = DATABASE_URL === undefined ? ['--data-dir', join(dir, 'data')] : ['--database-url', DATABASE_URL, '--schema', schema];
  return {
    args,
    cleanup: async () => {
      if (DATABASE_URL === undefined) return;
      const admin = await openDb({ url: DATABASE_URL });
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    },
  };
}

test('sluice record exports one cluster\'s window: collected series and events, without rule outputs; --match narrows it', async () => {
  const { args, cleanup } = await storeWithData();
  try {
    const out = join(await tempDir(), 'incident');
    const from = new Date(T0 + 10_000).toISOString();
    const to = new Date(T0 + 200_000).toISOString();
    const all = captureContext();
    const code = await runCli(['record', '--cluster', 'c1', '--from', from, '--to', to, '--out', out, '--description', 'broker 0 flapped', '--incident-start', '+40s', ...args], () => all.ctx);
    assert.equal(code, 0, all.stderr.join(''));
    assert.deepEqual(all.stdout, [`sluice record: wrote ${out}: 3 series, 60 samples, 1 events from ${from} to ${to}\n`]);
    const fixture = await loadFixture(out);
    assert.deepEqual(fixture.series.map((s) => [s.metric, s.labels]), [
      ['kafka_server_brokertopicmetrics_bytesin_total', { broker: '0', cluster: 'c1', topic: 'clicks' }],
      ['kafka_server_brokertopicmetrics_bytesin_total', { broker: '0', cluster: 'c1', topic: 'orders' }],
      ['sluice_cluster_broker_up', { broker: '0', cluster: 'c1' }],
    ]);
    assert.equal(fixture.series[1]!.ts[0], T0 + 10_000);
    assert.equal(fixture.series[1]!.ts.at(-1), T0 + 200_000);
    assert.deepEqual(Array.from(fixture.series[1]!.values.subarray(0, 3)), [1000, 2000, 3000]);
    assert.deepEqual(fixture.events.map((e) => [e.ts, e.kind, e.subject]), [[T0 + 50_000, 'broker_down', 'broker 0']]);
    assert.equal(fixture.meta.scrapeIntervalSeconds, 10);
    assert.equal(fixture.meta.incidentStart, T0 + 50_000);
    assert.equal(fixture.meta.description, 'broker 0 flapped');
    assert.equal(fixture.meta.source.kind, 'recorded');

    const narrow = captureContext();
    const out2 = join(await tempDir(), 'narrow');
    assert.equal(await runCli(['record', '--cluster', 'c1', '--from', from, '--to', to, '--out', out2, '--match', 'kafka_server_brokertopicmetrics_bytesin_total{topic=~"ord.*"}', '--match', 'sluice_cluster_broker_up', ...args], () => narrow.ctx), 0, narrow.stderr.join(''));
    assert.deepEqual((await loadFixture(out2)).series.map((s) => s.labels.topic ?? s.metric), ['orders', 'sluice_cluster_broker_up']);
  } finally {
    await cleanup();
  }
});

test('sluice record refuses a bad selector and a bad time with exit code 2, naming the flag', async () => {
  const bad = captureContext();
  assert.equal(await runCli(['record', '--cluster', 'c1', '--from', 'yesterday', '--to', 'now', '--out', '/tmp/x', '--data-dir', '/tmp/none'], () => bad.ctx), 2);
  assert.deepEqual(bad.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --from: "yesterday": expected an ISO 8601 time (2026-12-01T10:00:00Z), Unix seconds, now, now-2h or +10m\n']);
  const { args, cleanup } = await storeWithData();
  try {
    const sel = captureContext();
    assert.equal(await runCli(['record', '--cluster', 'c1', '--from', 'now-1h', '--to', 'now', '--out', '/tmp/x', '--match', 'rate(x[5m])', ...args], () => sel.ctx), 2);
    assert.deepEqual(sel.stderr, ['sluice: SLUICE_ERR_CLI_ARGUMENT: --match "rate(x[5m])": expected a series selector such as up{job="kafka"}, got an expression\n']);
  } finally {
    await cleanup();
  }
});
