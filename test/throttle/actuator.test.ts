/**
 * Quota actuators: the Kafka one against the bundled cluster over real sockets (a refused change
 * leaves nothing half-applied), and the dry-run recorder.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { entityKey } from '../../src/kafka/quota.ts';
import { DryRunActuator, KafkaQuotaActuator, quotaWindowOf } from '../../src/throttle/actuator.ts';
import { groupOf, throttleConfigSchema } from '../../src/throttle/config.ts';

let running: RunningCluster;
let admin: KafkaAdmin;
before(async () => {
  running = await startCluster({ brokers: 1, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
  admin = new KafkaAdmin({ bootstrap: running.bootstrap.split(','), requestTimeoutMs: 2000 });
});
after(async () => {
  await admin.close();
  await running.stop();
});

const alice = [{ entityType: 'user' as const, entityName: 'alice' }];
const bob = [{ entityType: 'user' as const, entityName: 'bob' }];

test('the Kafka actuator sets quotas the brokers then enforce and report', async () => {
  const actuator = new KafkaQuotaActuator(admin);
  assert.deepEqual(await actuator.alter([{ entity: alice, key: 'producer_byte_rate', value: 2_000_000 }]), { applied: 1, errors: [] });
  assert.deepEqual(await actuator.describe(), [{ entity: alice, values: { producer_byte_rate: 2_000_000 } }]);
  await actuator.alter([{ entity: alice, key: 'producer_byte_rate', value: null }]);
  assert.deepEqual(await actuator.describe(), []);
});

test('a change the brokers refuse fails the whole batch: nothing is half-applied and the refusal is named', async () => {
  const actuator = new KafkaQuotaActuator(admin);
  const outcome = await actuator.alter([
    { entity: alice, key: 'producer_byte_rate', value: 1_000_000 },
    { entity: bob, key: 'producer_byte_rate', value: -5 },
  ]);
  assert.equal(outcome.applied, 0);
  assert.equal(outcome.errors.length, 1);
  assert.match(outcome.errors[0]!, /^user=bob: /);
  assert.deepEqual(await actuator.describe(), [], 'alice was not changed either');
});

test('the dry-run actuator keeps quotas in memory and records every change', async () => {
  const dry = new DryRunActuator([{ entity: alice, values: { producer_byte_rate: 5 } }]);
  await dry.alter([{ entity: alice, key: 'consumer_byte_rate', value: 7 }, { entity: alice, key: 'producer_byte_rate', value: null }]);
  assert.deepEqual(await dry.describe(), [{ entity: alice, values: { consumer_byte_rate: 7 } }]);
  assert.equal(dry.changes.length, 2);
  assert.equal(entityKey([{ entityType: 'user', entityName: 'a' }, { entityType: 'client-id', entityName: null }]), 'user=a,client-id=<default>');
});

test('throttle config: defaults, group matching by glob, and path-precise errors', () => {
  const config = throttleConfigSchema.parse({
    groups: [
      { name: 'core', priority: 3, match: [{ user: 'orders-*' }] },
      { name: 'general', priority: 0, match: [{}] },
    ],
  });
  assert.equal(config.mode, 'recommend');
  assert.equal(config.guardrails.maxDecrease, 0.5);
  assert.deepEqual(config.brokerCapacity, { bytesInPerSec: 2 ** 30, bytesOutPerSec: 2 ** 30 });
  assert.deepEqual(throttleConfigSchema.parse({ brokerCapacity: { bytesInPerSec: 125_000_000 } }).brokerCapacity, { bytesInPerSec: 125_000_000, bytesOutPerSec: 2 ** 30 });
  assert.equal(groupOf(config, 'orders-api', 'x'), 'core');
  assert.equal(groupOf(config, 'batch', 'x'), 'general');
  // Globs: `*` spans any characters (a newline included), `?` one, everything else is literal.
  const globs = throttleConfigSchema.parse({ groups: [{ name: 'g', priority: 1, match: [{ user: 'a.b?*', clientId: '*x*y*z' }] }] });
  assert.equal(groupOf(globs, 'a.bc\nd', 'x\ny\nz'), 'g');
  assert.equal(groupOf(globs, 'axbc', 'xyz'), undefined);
  assert.equal(groupOf(globs, 'a.b', 'xyz'), undefined);
  // A long id against many stars: linear with RE2 (a backtracking RegExp takes hours here).
  const stars = throttleConfigSchema.parse({ groups: [{ name: 'g', priority: 1, match: [{ clientId: '*a*a*a*a*a*a*b' }] }] });
  assert.equal(groupOf(stars, 'u', 'a'.repeat(65_536)), undefined);
  const bad = throttleConfigSchema.safeParse({ groups: [{ name: 'a', priority: 1, floor: 10, ceiling: 5, match: [{}] }, { name: 'a', priority: 1, match: [{}] }] });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues.map((i) => [i.path.join('.'), i.message]), [
    ['groups.0.ceiling', 'ceiling 5 is below the floor 10'],
    ['groups.1.name', 'duplicate group name "a" (also groups[0])'],
  ]);
});

test('the brokers\' client quota window is read from each broker\'s configs: Kafka\'s default, or what they run with', async () => {
  assert.deepEqual(await new KafkaQuotaActuator(admin).quotaWindow(), { ms: 11_000, source: 'broker 0: 11 × 1 s' });
  const short = await startCluster({ brokers: 2, host: '127.0.0.1', port: 0, quotaWindow: { num: 3, sizeSeconds: 2 }, logger: pino({ level: 'silent' }) });
  const shortAdmin = new KafkaAdmin({ bootstrap: short.bootstrap.split(','), requestTimeoutMs: 2000 });
  try {
    assert.deepEqual(await new KafkaQuotaActuator(shortAdmin).quotaWindow(), { ms: 6000, source: 'broker 0: 3 × 2 s, broker 1: 3 × 2 s' });
  } finally {
    await shortAdmin.close();
    await short.stop();
  }
  // No broker to ask: the read fails with what went wrong, for the loop to log.
  const gone = new KafkaAdmin({ bootstrap: ['127.0.0.1:1'], requestTimeoutMs: 500, connectTimeoutMs: 200 });
  try {
    await assert.rejects(new KafkaQuotaActuator(gone).quotaWindow());
  } finally {
    await gone.close();
  }
});

test('quota windows: the longest over brokers; a key a broker leaves out is Kafka\'s default; a bad value reads as none', () => {
  assert.deepEqual(quotaWindowOf(new Map<number, Record<string, string>>([[2, { 'quota.window.num': '5' }], [1, { 'quota.window.num': '11', 'quota.window.size.seconds': '1' }]])), { ms: 11_000, source: 'broker 1: 11 × 1 s, broker 2: 5 × 1 s' });
  assert.deepEqual(quotaWindowOf(new Map([[0, {}]])), { ms: 11_000, source: 'broker 0: 11 × 1 s' });
  assert.equal(quotaWindowOf(new Map()), undefined);
  assert.equal(quotaWindowOf(new Map([[0, { 'quota.window.num': 'x' }]])), undefined);
  assert.equal(quotaWindowOf(new Map([[0, { 'quota.window.size.seconds': '0' }]])), undefined);
});
