import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { TopicCollector } from '../../src/collect/topics.ts';
import { CollectScheduler } from '../../src/collect/scheduler.ts';
import { adminOptionsOf } from '../../src/collect/config.ts';
import type { Store } from '../../src/store/index.ts';
import { closeTestStore, clusterConfigFor, latestValue, openTestStore, startTestCluster, stored } from './support.ts';
import { BACKENDS } from '../helpers/backends.ts';

// The backends run side by side, each on its own cluster: the tests mostly wait on the clock.
describe('topics collector', { concurrency: true }, () => {
  for (const backend of BACKENDS) {
    describe(`topics collector on ${backend}`, () => {
      let store: Store;
      before(async () => { store = await openTestStore(backend); });
      after(async () => { await closeTestStore(store); });

      test('lag of a stopped consumer equals produced minus committed', async () => {
        const running = await startTestCluster({ topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }] });
        const config = clusterConfigFor(running);
        const admin = new KafkaAdmin(adminOptionsOf(config));
        const scheduler = new CollectScheduler({ collectors: [new TopicCollector(config, admin)], sink: store.writer, registry: new Registry(), jitter: 0 });
        const kafka = new Kafka({ brokers: running.bootstrap.split(','), clientId: 'lag-test', logLevel: logLevel.NOTHING });
        const producer = kafka.producer();
        const consumer = kafka.consumer({ groupId: 'billing' });
        try {
          await producer.connect();
          await producer.send({ topic: 'orders', messages: Array.from({ length: 100 }, (_, i) => ({ value: `m${i}`, partition: 0 })) });
          await producer.send({ topic: 'orders', messages: Array.from({ length: 30 }, (_, i) => ({ value: `n${i}`, partition: 1 })) });
          // A real consumer reads partition 0 up to offset 40, commits, and stops.
          await consumer.connect();
          await consumer.subscribe({ topic: 'orders', fromBeginning: true });
          let seen = 0;
          const done = new Promise<void>((resolve) => {
            void consumer.run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                if (partition !== 0 || Number(message.offset) >= 40) return;
                if (++seen === 40) {
                  await consumer.commitOffsets([{ topic: 'orders', partition: 0, offset: '40' }]);
                  resolve();
                }
              },
            });
          });
          await done;
          await consumer.disconnect();
          await producer.send({ topic: 'orders', messages: Array.from({ length: 25 }, (_, i) => ({ value: `late${i}`, partition: 0 })) });

          const [{ result }] = await scheduler.runOnce();
          assert.deepEqual(result?.errors, []);
          const labels = { cluster: 'test', group: 'billing', topic: 'orders' };
          assert.equal(await latestValue(store, 'kafka_partition_latest_offset', { cluster: 'test', topic: 'orders', partition: '0' }), 125);
          assert.equal(await latestValue(store, 'kafka_partition_earliest_offset', { cluster: 'test', topic: 'orders', partition: '0' }), 0);
          assert.equal(await latestValue(store, 'kafka_consumergroup_group_lag', { ...labels, partition: '0' }), 125 - 40);
          // Partition 1 was never committed: no lag series at all, not 0 and not -1.
          assert.deepEqual(await stored(store, 'kafka_consumergroup_group_lag', { ...labels, partition: '1' }), []);
          assert.equal(await latestValue(store, 'kafka_consumergroup_group_sum_lag', { cluster: 'test', group: 'billing' }), 85);
          assert.equal(await latestValue(store, 'kafka_consumergroup_group_max_lag', { cluster: 'test', group: 'billing' }), 85);
          assert.equal(await latestValue(store, 'sluice_topic_messages_total', { cluster: 'test', topic: 'orders' }), 155);
          assert.equal(await latestValue(store, 'sluice_topic_retained_messages', { cluster: 'test', topic: 'orders' }), 155);
          assert.equal(await latestValue(store, 'sluice_consumergroup_members', { cluster: 'test', group: 'billing' }), 0);
          // One polled commit, behind the log end: Burrow's rules call a window that never moves with
          // lag STALL (5), which makes the group ERR (3).
          assert.equal(await latestValue(store, 'sluice_consumergroup_partition_status', { ...labels, partition: '0' }), 5);
          assert.equal(await latestValue(store, 'sluice_consumergroup_status', { cluster: 'test', group: 'billing' }), 3);
        } finally {
          await producer.disconnect().catch(() => undefined);
          await scheduler.stop();
          await running.stop();
        }
      });

      test('time lag of a stopped consumer under a steady producer grows 1 s per s (within 10%)', async () => {
        const running = await startTestCluster({ topics: [{ name: 'clicks', partitions: 1, replicationFactor: 3 }] });
        const config = clusterConfigFor(running);
        const admin = new KafkaAdmin(adminOptionsOf(config));
        const collector = new TopicCollector(config, admin);
        const scheduler = new CollectScheduler({ collectors: [collector], sink: store.writer, registry: new Registry(), jitter: 0 });
        const kafka = new Kafka({ brokers: running.bootstrap.split(','), clientId: 'time-lag-test', logLevel: logLevel.NOTHING });
        const producer = kafka.producer();
        const kadmin = kafka.admin();
        let producing = true;
        try {
          await producer.connect();
          await kadmin.connect();
          // Steady producer: one message every 20 ms.
          const pump = (async () => {
            while (producing) {
              await producer.send({ topic: 'clicks', messages: [{ value: 'x' }] });
              await sleep(20);
            }
          })();
          for (let i = 0; i < 3; i++) {
            await scheduler.runOnce();
            await sleep(500);
          }
          // The group stops at the current end of the log.
          const end = Number((await kadmin.fetchTopicOffsets('clicks'))[0]!.offset);
          await kadmin.setOffsets({ groupId: 'stalled', topic: 'clicks', partitions: [{ partition: 0, offset: String(end) }] });
          for (let i = 0; i < 12; i++) {
            await sleep(500);
            await scheduler.runOnce();
          }
          producing = false;
          await pump;
          const points = await stored(store, 'kafka_consumergroup_group_lag_seconds', { cluster: 'test', group: 'stalled', topic: 'clicks', partition: '0' });
          assert.ok(points.length >= 10, `${points.length} time-lag samples`);
          // Least-squares slope of lag seconds over wall seconds.
          const xs = points.map((p) => p.ts / 1000);
          const ys = points.map((p) => p.value);
          const mx = xs.reduce((a, b) => a + b) / xs.length;
          const my = ys.reduce((a, b) => a + b) / ys.length;
          const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
          assert.ok(slope >= 0.9 && slope <= 1.1, `slope ${slope}`);
          const max = await latestValue(store, 'kafka_consumergroup_group_max_lag_seconds', { cluster: 'test', group: 'stalled' });
          assert.equal(max, points.at(-1)!.value);
        } finally {
          producing = false;
          await producer.disconnect().catch(() => undefined);
          await kadmin.disconnect().catch(() => undefined);
          await scheduler.stop();
          await running.stop();
        }
      });
    });
  }
});
