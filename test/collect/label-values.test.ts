// Client ids and group ids are free-form in Kafka: a producer whose client.id holds a NUL and a
// group whose id holds one, on the bundled cluster, are collected and stored like any other
// client and group, and cost no other series its samples.
import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { ClientCollector } from '../../src/collect/clients.ts';
import { CollectScheduler } from '../../src/collect/scheduler.ts';
import { TopicCollector } from '../../src/collect/topics.ts';
import { adminOptionsOf } from '../../src/collect/config.ts';
import type { Store } from '../../src/store/index.ts';
import { closeTestStore, clusterConfigFor, openTestStore, startTestCluster, stored } from './support.ts';
import { BACKENDS } from '../helpers/backends.ts';

const EVIL_CLIENT = 'evil\u0000id';
const EVIL_GROUP = 'grp\u0000evil';

describe('label values from Kafka clients', { concurrency: true }, () => {
  for (const backend of BACKENDS) {
    describe(`on ${backend}`, () => {
      let store: Store;
      before(async () => { store = await openTestStore(backend); });
      after(async () => { await closeTestStore(store); });

      test('a client id and a group id holding NUL are stored and read back, and every other series is stored too', async () => {
        const running = await startTestCluster({ topics: [{ name: 'orders', partitions: 1, replicationFactor: 1 }] });
        const config = clusterConfigFor(running);
        const admin = new KafkaAdmin(adminOptionsOf(config));
        const scheduler = new CollectScheduler({
          collectors: [new ClientCollector(config, admin), new TopicCollector(config, admin)],
          sink: store.writer,
          registry: new Registry(),
          jitter: 0,
        });
        const brokers = running.bootstrap.split(',');
        const evil = new Kafka({ brokers, clientId: EVIL_CLIENT, logLevel: logLevel.NOTHING });
        const plain = new Kafka({ brokers, clientId: 'plain', logLevel: logLevel.NOTHING });
        const producers = [evil.producer(), plain.producer()];
        const kadmin = plain.admin();
        try {
          // A quota for each client, so that the broker reports both (as Kafka does per quota entity).
          await admin.alterClientQuotas([
            { entity: [{ entityType: 'client-id', entityName: EVIL_CLIENT }], key: 'producer_byte_rate', value: 1_000_000 },
            { entity: [{ entityType: 'client-id', entityName: 'plain' }], key: 'producer_byte_rate', value: 1_000_000 },
          ]);
          for (const p of producers) {
            await p.connect();
            await p.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
          }
          await kadmin.connect();
          // OffsetCommit for each group (a consumer that stopped at offset 4, another at 7).
          await kadmin.setOffsets({ groupId: EVIL_GROUP, topic: 'orders', partitions: [{ partition: 0, offset: '4' }] });
          await kadmin.setOffsets({ groupId: 'plain-group', topic: 'orders', partitions: [{ partition: 0, offset: '7' }] });
          for (let i = 0; i < 3; i++) {
            await scheduler.runOnce();
            await sleep(1000);
          }
          const quota = async (client: string) => (await stored(store, 'sluice_client_quota', { cluster: 'test', client_id: client, quota: 'producer_byte_rate' })).at(-1);
          assert.equal((await quota(EVIL_CLIENT))?.value, 1_000_000);
          assert.equal((await quota(EVIL_CLIENT))?.labels.client_id, EVIL_CLIENT);
          assert.equal((await quota('plain'))?.value, 1_000_000);
          const lag = async (group: string) => (await stored(store, 'kafka_consumergroup_group_lag', { cluster: 'test', group, topic: 'orders', partition: '0' })).at(-1);
          assert.deepEqual([(await lag(EVIL_GROUP))?.value, (await lag(EVIL_GROUP))?.labels.group], [16, EVIL_GROUP]);
          assert.equal((await lag('plain-group'))?.value, 13);
          const rates = await stored(store, 'sluice_client_produce_byte_rate', { cluster: 'test' });
          assert.deepEqual([...new Set(rates.map((r) => r.labels.client_id))].sort(), [EVIL_CLIENT, 'plain'].sort());
          assert.ok((await stored(store, 'sluice_collector_samples_total', { cluster: 'test' })).length >= 6, 'the collectors\' own series are stored');
          assert.equal(store.writer.stats().dropped.rejected, 0);
          assert.deepEqual(store.writer.health(), {});
        } finally {
          for (const p of producers) await p.disconnect().catch(() => undefined);
          await kadmin.disconnect().catch(() => undefined);
          await scheduler.stop();
          await running.stop();
        }
      });
    });
  }
});
