import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientQuotaStore } from '../../../src/kafka/broker/quotas.ts';
import type { EntityComponent } from '../../../src/kafka/quota.ts';

const U = (n: string | null): EntityComponent => ({ entityType: 'user', entityName: n });
const C = (n: string | null): EntityComponent => ({ entityType: 'client-id', entityName: n });

test('precedence follows Kafka, entity by entity, from the most specific to the least', () => {
  // Kafka's documented order for (user=alice, client-id=app).
  const levels: [string, EntityComponent[]][] = [
    ['/config/users/alice/clients/app', [U('alice'), C('app')]],
    ['/config/users/alice/clients/<default>', [U('alice'), C(null)]],
    ['/config/users/alice', [U('alice')]],
    ['/config/users/<default>/clients/app', [U(null), C('app')]],
    ['/config/users/<default>/clients/<default>', [U(null), C(null)]],
    ['/config/users/<default>', [U(null)]],
    ['/config/clients/app', [C('app')]],
    ['/config/clients/<default>', [C(null)]],
  ];
  const store = new ClientQuotaStore();
  levels.forEach(([, entity], i) => store.alter(entity, [{ key: 'producer_byte_rate', value: 1000 * (i + 1), remove: false }]));
  // Remove levels from the most specific down: each time the next level must win.
  for (const [i, [name, entity]] of levels.entries()) {
    const hit = store.lookup('alice', 'app', 'producer_byte_rate');
    assert.equal(hit?.value, 1000 * (i + 1), `${name} should apply`);
    assert.deepEqual(hit?.entity, entity);
    store.alter(entity, [{ key: 'producer_byte_rate', value: 0, remove: true }]);
  }
  assert.equal(store.lookup('alice', 'app', 'producer_byte_rate'), undefined);
});

test('quota keys are independent; other users and clients fall to their own levels', () => {
  const store = new ClientQuotaStore();
  store.alter([U('alice')], [{ key: 'producer_byte_rate', value: 10, remove: false }, { key: 'consumer_byte_rate', value: 20, remove: false }]);
  store.alter([C(null)], [{ key: 'producer_byte_rate', value: 5, remove: false }]);
  assert.equal(store.lookup('alice', 'x', 'consumer_byte_rate')?.value, 20);
  assert.equal(store.lookup('bob', 'x', 'producer_byte_rate')?.value, 5);
  assert.equal(store.lookup('bob', 'x', 'consumer_byte_rate'), undefined);
  assert.equal(store.lookup('alice', 'x', 'request_percentage'), undefined);
});
