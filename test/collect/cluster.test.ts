import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { ClusterCollector } from '../../src/collect/cluster.ts';
import { CollectScheduler } from '../../src/collect/scheduler.ts';
import { adminOptionsOf } from '../../src/collect/config.ts';
import { dbEventSink, dbKnownBrokers } from '../../src/collect/index.ts';
import { listEvents, type Store } from '../../src/store/index.ts';
import { closeTestStore, clusterConfigFor, latestValue, openTestStore, stored, startTestCluster, waitUntil } from './support.ts';
import { BACKENDS } from '../helpers/backends.ts';

for (const backend of BACKENDS) {
  describe(`cluster collector on ${backend}`, () => {
    let store: Store;
    before(async () => { store = await openTestStore(backend); });
    after(async () => { await closeTestStore(store); });

    function schedulerFor(collector: ClusterCollector): CollectScheduler {
      return new CollectScheduler({ collectors: [collector], sink: store.writer, events: dbEventSink(store.db), registry: new Registry(), jitter: 0 });
    }

    test('under-replicated partitions appear when follower replication is cut and clear when restored', async () => {
      const running = await startTestCluster({ replicaLagTimeMaxMs: 300, topics: [{ name: 'urp', partitions: 6, replicationFactor: 3 }] });
      const config = clusterConfigFor(running);
      const admin = new KafkaAdmin(adminOptionsOf(config));
      const scheduler = schedulerFor(new ClusterCollector(config, admin));
      try {
        await scheduler.runOnce();
        assert.equal(await latestValue(store, 'sluice_cluster_under_replicated_partitions', { cluster: 'test' }), 0);
        assert.equal(await latestValue(store, 'sluice_cluster_brokers_alive', { cluster: 'test' }), 3);
        assert.equal(await latestValue(store, 'sluice_cluster_partitions', { cluster: 'test' }), 6);

        running.cluster.nodes[2]!.replicationCut = true;
        // Every partition not led by broker 2 has it as a follower that stops fetching.
        const expected = [...running.cluster.allPartitions()].filter((p) => p.leader !== 2).length;
        await waitUntil(() => [...running.cluster.allPartitions()].filter((p) => p.isr.length < 3).length === expected, 5000, 'ISR shrink');
        await scheduler.runOnce();
        assert.ok(expected > 0);
        assert.equal(await latestValue(store, 'sluice_cluster_under_replicated_partitions', { cluster: 'test' }), expected);
        assert.equal(await latestValue(store, 'sluice_topic_under_replicated_partitions', { cluster: 'test', topic: 'urp' }), expected);
        // The exporter's own view, stored as-is with cluster and broker added.
        const perBroker = await Promise.all([0, 1, 2].map((b) => latestValue(store, 'kafka_server_replicamanager_underreplicatedpartitions', { cluster: 'test', broker: String(b) })));
        assert.equal(perBroker.reduce((a, b) => a! + b!, 0), expected);

        running.cluster.nodes[2]!.replicationCut = false;
        await waitUntil(() => [...running.cluster.allPartitions()].every((p) => p.isr.length === 3), 5000, 'ISR expand');
        await scheduler.runOnce();
        assert.equal(await latestValue(store, 'sluice_cluster_under_replicated_partitions', { cluster: 'test' }), 0);
      } finally {
        await scheduler.stop();
        await admin.close();
        await running.stop();
      }
    });

    test('partitions go offline when two of three replicas stop (the third out of sync)', async () => {
      const running = await startTestCluster({ replicaLagTimeMaxMs: 300, topics: [{ name: 'fragile', partitions: 4, replicationFactor: 3 }, { name: 'solo', partitions: 2, replicationFactor: 1 }] });
      const config = clusterConfigFor(running);
      const admin = new KafkaAdmin(adminOptionsOf(config));
      const scheduler = schedulerFor(new ClusterCollector(config, admin));
      try {
        await scheduler.runOnce();
        assert.equal(await latestValue(store, 'sluice_cluster_offline_partitions', { cluster: 'test' }), 0);
        running.cluster.nodes[2]!.replicationCut = true;
        await waitUntil(() => [...running.cluster.allPartitions()].filter((p) => p.topic === 'fragile').every((p) => p.leader === 2 || !p.isr.includes(2)), 5000, 'broker 2 out of ISR');
        await running.cluster.stopBroker(0);
        await running.cluster.stopBroker(1);
        const expected = [...running.cluster.allPartitions()].filter((p) => p.leader < 0).length;
        assert.ok(expected > 0);
        await scheduler.runOnce();
        assert.equal(await latestValue(store, 'sluice_cluster_offline_partitions', { cluster: 'test' }), expected);
        assert.equal(await latestValue(store, 'sluice_cluster_brokers_alive', { cluster: 'test' }), 1);
        assert.equal(await latestValue(store, 'sluice_cluster_broker_up', { cluster: 'test', broker: '0' }), 0);
        assert.equal(await latestValue(store, 'sluice_cluster_broker_up', { cluster: 'test', broker: '2' }), 1);
        assert.equal(await latestValue(store, 'sluice_cluster_controller_id', { cluster: 'test' }), 2);
      } finally {
        await scheduler.stop();
        await admin.close();
        await running.stop();
      }
    });

    test('a broker stopped mid-cycle: the cycle completes, the broker is marked down, the scheduler keeps running', async () => {
      const running = await startTestCluster({ topics: [{ name: 'orders', partitions: 6, replicationFactor: 2 }] });
      const config = clusterConfigFor(running, { intervals: { cluster: 0.3 } });
      const admin = new KafkaAdmin(adminOptionsOf(config));
      const collector = new ClusterCollector(config, admin);
      const scheduler = schedulerFor(collector);
      const since = Date.now();
      try {
        await scheduler.runOnce();
        running.cluster.nodes[1]!.latencyMs = 400;
        const cycle = scheduler.runOnce();
        await sleep(150);
        await running.cluster.stopBroker(1);
        const [{ result }] = await cycle;
        assert.ok(result);
        assert.ok(result.errors.some((e) => e.subject === 'broker 1'), JSON.stringify(result.errors));
        assert.ok(result.samples.some((s) => s.metric === 'sluice_cluster_partitions' && s.value === 6));
        assert.equal(await latestValue(store, 'sluice_cluster_broker_up', { cluster: 'test', broker: '1' }), 0);
        const events = await listEvents(store.db, { from: since, to: Date.now() + 1000, cluster: 'test' });
        assert.deepEqual(events.filter((e) => e.kind === 'broker_down').map((e) => e.subject), ['broker 1']);

        scheduler.start();
        const before = scheduler.stats('cluster', 'test')!;
        // Leaders that were on broker 1 moved: the next cycles record leader changes. A cycle
        // counts its samples before it has stored its events, so the wait covers both.
        const leaderChanges = () => listEvents(store.db, { from: since, to: Date.now() + 1000, cluster: 'test', kind: 'leader_change' });
        await waitUntil(async () => scheduler.stats('cluster', 'test')!.samples > before.samples + 20 && (await leaderChanges()).some((e) => e.details.from === 1), 5000, 'more cycles and the leader changes they saw');
        const moves = await leaderChanges();
        const ledBy1 = moves.filter((e) => e.details.from === 1);
        assert.ok(ledBy1.length > 0, 'leader changes recorded');
        assert.ok(ledBy1.every((e) => e.details.to !== 1));
      } finally {
        await scheduler.stop();
        await running.stop();
      }
    });

    /** A cluster collector keeping known brokers in the store, as the service builds it, with its own admin client. */
    function storedCollector(config: ReturnType<typeof clusterConfigFor>): { scheduler: CollectScheduler; stop(): Promise<void> } {
      const admin = new KafkaAdmin(adminOptionsOf(config));
      const scheduler = schedulerFor(new ClusterCollector(config, admin, undefined, dbKnownBrokers(store.db)));
      return { scheduler, stop: async () => { await scheduler.stop(); await admin.close(); } };
    }

    /** Values of `metric` of cluster `cluster` stored at or after `since`, by broker label. */
    async function byBroker(metric: string, cluster: string, since: number): Promise<Record<string, number[]>> {
      const out: Record<string, number[]> = {};
      for (const s of await stored(store, metric, { cluster })) if (s.ts >= since) (out[s.labels.broker ?? ''] ??= []).push(s.value);
      return out;
    }

    test('a broker down across a restart of the collector still reads as down, though it holds no replica and the metadata no longer lists it', async () => {
      // No topics: nothing but the stored list of known brokers remembers broker 1 once it stops.
      const running = await startTestCluster();
      const config = clusterConfigFor(running, { name: 'restarted' });
      const first = storedCollector(config);
      try {
        await first.scheduler.runOnce();
        assert.equal(await latestValue(store, 'sluice_cluster_broker_up', { cluster: 'restarted', broker: '1' }), 1);
      } finally {
        await first.stop();
      }
      await running.cluster.stopBroker(1);
      const restartedAt = Date.now();
      const second = storedCollector(config);
      try {
        await second.scheduler.runOnce();
        await second.scheduler.runOnce();
        assert.deepEqual(await byBroker('sluice_cluster_broker_up', 'restarted', restartedAt), { 0: [1, 1], 1: [0, 0], 2: [1, 1] });
        assert.deepEqual(await byBroker('sluice_cluster_brokers_alive', 'restarted', restartedAt), { '': [2, 2] });
        assert.deepEqual(await byBroker('sluice_cluster_up', 'restarted', restartedAt), { '': [1, 1] });
      } finally {
        await second.stop();
        await running.stop();
      }
    });

    test('a cluster whose every broker is down: each known broker reads 0 and the cluster reads unreachable, before and after a restart', async () => {
      const running = await startTestCluster({ topics: [{ name: 'orders', partitions: 3, replicationFactor: 2 }] });
      const config = clusterConfigFor(running, { name: 'outage' });
      const first = storedCollector(config);
      const since = Date.now();
      try {
        await first.scheduler.runOnce();
        assert.deepEqual(await byBroker('sluice_cluster_up', 'outage', since), { '': [1] });
        for (const id of [0, 1, 2]) await running.cluster.stopBroker(id);
        const downAt = Date.now();
        const [{ result }] = await first.scheduler.runOnce();
        assert.deepEqual(result!.errors.map((e) => e.op), ['metadata']);
        assert.deepEqual(await byBroker('sluice_cluster_broker_up', 'outage', downAt), { 0: [0], 1: [0], 2: [0] });
        assert.deepEqual(await byBroker('sluice_cluster_up', 'outage', downAt), { '': [0] });
        assert.deepEqual(await byBroker('sluice_cluster_brokers_alive', 'outage', downAt), { '': [0] });
        const downs = await listEvents(store.db, { from: downAt, to: Date.now() + 1000, cluster: 'outage', kind: 'broker_down' });
        assert.deepEqual(downs.map((e) => e.subject), ['broker 0', 'broker 1', 'broker 2']);
      } finally {
        await first.stop();
      }
      const restartedAt = Date.now();
      const second = storedCollector(config);
      try {
        await second.scheduler.runOnce();
        assert.deepEqual(await byBroker('sluice_cluster_broker_up', 'outage', restartedAt), { 0: [0], 1: [0], 2: [0] });
        assert.deepEqual(await byBroker('sluice_cluster_up', 'outage', restartedAt), { '': [0] });
      } finally {
        await second.stop();
        await running.stop();
      }
    });
  });
}
