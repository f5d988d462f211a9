import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { ClientCollector } from '../../src/collect/clients.ts';
import { CollectScheduler } from '../../src/collect/scheduler.ts';
import { adminOptionsOf } from '../../src/collect/config.ts';
import type { Store } from '../../src/store/index.ts';
import { closeTestStore, clusterConfigFor, latestValue, openTestStore, startTestCluster, stored } from './support.ts';
import { BACKENDS } from '../helpers/backends.ts';

// The backends run side by side, each on its own cluster: the tests mostly wait on the clock.
describe('clients collector', { concurrency: true }, () => {
  for (const backend of BACKENDS) {
    describe(`clients collector on ${backend}`, () => {
      let store: Store;
      before(async () => { store = await openTestStore(backend); });
      after(async () => { await closeTestStore(store); });

      const QUOTA = 20_000;

      test('quota utilization is about 1 for a producer paced just above its quota', async () => {
        const running = await startTestCluster({ topics: [{ name: 'metered', partitions: 1, replicationFactor: 1 }] });
        const config = clusterConfigFor(running);
        const admin = new KafkaAdmin(adminOptionsOf(config));
        const scheduler = new CollectScheduler({ collectors: [new ClientCollector(config, admin)], sink: store.writer, registry: new Registry(), jitter: 0 });
        const kafka = new Kafka({ brokers: running.bootstrap.split(','), clientId: 'paced', logLevel: logLevel.NOTHING });
        const producer = kafka.producer();
        let producing = true;
        try {
          const altered = await admin.alterClientQuotas([
            { entity: [{ entityType: 'client-id', entityName: 'paced' }], key: 'producer_byte_rate', value: QUOTA },
            // A default that does not apply to `paced`: the client-id quota takes precedence over it.
            { entity: [{ entityType: 'client-id', entityName: null }], key: 'producer_byte_rate', value: 1_000_000 },
          ]);
          assert.deepEqual(altered, { value: 2, errors: [] });
          await producer.connect();
          // Offered load: 11 messages of 2,000 bytes a second, 1.1 times the quota, evenly paced.
          // Sends do not wait for the one before (up to 5 in flight, as a Kafka producer has by
          // default): waiting, a producer offers no more than one message per round trip, and on a
          // loaded machine that alone kept it under its quota (0.89).
          const started = Date.now();
          const pump = (async () => {
            const inFlight = new Set<Promise<unknown>>();
            for (let i = 0; producing; i++) {
              const sent: Promise<unknown> = producer.send({ topic: 'metered', acks: 1, messages: [{ value: Buffer.alloc(2000, 97) }] })
                .catch(() => undefined).finally(() => inFlight.delete(sent));
              inFlight.add(sent);
              if (inFlight.size >= 5) await Promise.race(inFlight);
              const next = started + ((i + 1) * 1000) / 11;
              await sleep(Math.max(0, next - Date.now()));
            }
            await Promise.all(inFlight);
          })();
          for (let i = 0; i < 16; i++) {
            await sleep(1000);
            await scheduler.runOnce();
          }
          producing = false;
          await pump;
          const labels = { cluster: 'test', client_id: 'paced' };
          assert.equal(await latestValue(store, 'sluice_client_quota', { ...labels, quota: 'producer_byte_rate' }), QUOTA);
          assert.equal(await latestValue(store, 'sluice_client_quota', { cluster: 'test', client_id: '<default>', quota: 'producer_byte_rate' }), 1_000_000);
          // Average over the last 5 s, after Kafka's 11 one-second windows have filled.
          const util = (await stored(store, 'sluice_client_quota_utilization', { ...labels, quota: 'producer_byte_rate' })).slice(-5);
          assert.equal(util.length, 5);
          const mean = util.reduce((a, p) => a + p.value, 0) / util.length;
          assert.ok(mean >= 0.9 && mean <= 1.1, `mean utilization ${mean} (${util.map((p) => p.value.toFixed(3)).join(', ')})`);
          const rate = await latestValue(store, 'sluice_client_produce_byte_rate', labels);
          assert.ok(rate !== undefined && Math.abs(rate / QUOTA - util.at(-1)!.value) < 1e-9, 'one broker: utilization = rate / quota');
        } finally {
          producing = false;
          await producer.disconnect().catch(() => undefined);
          await scheduler.stop();
          await running.stop();
        }
      });
    });
  }
});
