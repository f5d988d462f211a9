/** Reset restores operators' quotas (or removes Sluice's) against the bundled broker, audited. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { openDb } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { Db } from '../../src/store/types.ts';
import { KafkaQuotaActuator } from '../../src/throttle/actuator.ts';
import { DecisionStore } from '../../src/throttle/audit.ts';
import { resetToBaselines } from '../../src/throttle/reset.ts';

let running: RunningCluster;
let admin: KafkaAdmin;
let db: Db;
before(async () => {
  running = await startCluster({ brokers: 1, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
  admin = new KafkaAdmin({ bootstrap: running.bootstrap.split(','), requestTimeoutMs: 2000 });
  db = await openDb({ dataDir: 'memory' });
  await migrate(db);
});
after(async () => {
  await admin.close();
  await running.stop();
  await db.close();
});

test('operators\' values come back, quotas Sluice added are removed, and each restoration is audited', async () => {
  const actuator = new KafkaQuotaActuator(admin);
  const audit = new DecisionStore(db);
  const alice = [{ entityType: 'user' as const, entityName: 'alice' }];
  const bob = [{ entityType: 'client-id' as const, entityName: 'bob' }];
  // The operator had set alice at 8 MB/s; Sluice lowered her to 2 and added a quota for bob.
  await audit.rememberBaseline('east', alice, 'user=alice', 'producer_byte_rate', 8_000_000, 1000);
  await audit.rememberBaseline('east', bob, 'client-id=bob', 'producer_byte_rate', null, 1000);
  await actuator.alter([{ entity: alice, key: 'producer_byte_rate', value: 2_000_000 }, { entity: bob, key: 'producer_byte_rate', value: 1_000_000 }]);

  const only = await resetToBaselines('east', actuator, audit, { entityKey: 'client-id=bob', by: 'ops', now: 2000 });
  assert.deepEqual(only, { restored: [{ entityKey: 'client-id=bob', quotaKey: 'producer_byte_rate', value: null }], errors: [] });
  assert.deepEqual(await actuator.describe(), [{ entity: alice, values: { producer_byte_rate: 2_000_000 } }]);

  const all = await resetToBaselines('east', actuator, audit, { by: 'ops', now: 3000 });
  assert.deepEqual(all.restored, [{ entityKey: 'user=alice', quotaKey: 'producer_byte_rate', value: 8_000_000 }]);
  assert.deepEqual(await actuator.describe(), [{ entity: alice, values: { producer_byte_rate: 8_000_000 } }]);
  assert.deepEqual((await audit.baselines('east')).size, 0);
  const trail = await audit.list({ cluster: 'east' });
  assert.deepEqual(trail.map((d) => [d.entityKey, d.mode, d.status, d.appliedBy, d.oldValue, d.newValue]), [
    ['user=alice', 'reset', 'applied', 'ops', 2_000_000, 8_000_000],
    ['client-id=bob', 'reset', 'applied', 'ops', 1_000_000, null],
  ]);
  assert.deepEqual(await resetToBaselines('east', actuator, audit, { by: 'ops', now: 4000 }), { restored: [], errors: [] });
});
