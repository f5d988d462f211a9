/**
 * Reaching a cluster that requires SASL/PLAIN: detected from the scenario's users without
 * --sasl, refused with a message naming --bootstrap when the credentials are wrong, and a client
 * without credentials named. Then a produce quota on one user: the throttle time the broker
 * reports in its Produce responses shows in that producer's counters and status line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { pino } from 'pino';
import { startBroker } from '../../src/kafka/broker/index.ts';
import type { RunningBroker } from '../../src/kafka/broker/options.ts';
import { connectCluster, describeError } from '../../src/workload/cluster.ts';
import { runScenario } from './support.ts';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

describe('a cluster that requires SASL/PLAIN', () => {
  let broker: RunningBroker;

  before(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, autoCreateTopics: true, saslUsers: USERS, logger: pino({ level: 'silent' }) });
  });

  after(async () => {
    await broker?.stop();
  });

  test('is detected from the scenario users, and each client authenticates as its user', async () => {
    const access = await connectCluster({ bootstrap: [broker.bootstrap], users: USERS });
    assert.equal(access.sasl, true);
    assert.equal(access.brokers, 1);
    assert.deepEqual(access.clientOptions('billing', 'bob', 'consumer "billing"').sasl, { mechanism: 'PLAIN', username: 'bob', password: 'bob-secret' });
    assert.deepEqual(access.adminOptions('sluice-workload').sasl, { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' });
    assert.throws(() => access.clientOptions('anonymous', undefined, 'producer "anonymous"'), {
      code: 'SLUICE_ERR_CONFIG_INVALID',
      message: 'the cluster requires SASL: producer "anonymous" names no user; give it a user: from users, or pass --sasl user:password',
    });
    // --sasl forces SASL and is the identity of clients without a user.
    const forced = await connectCluster({ bootstrap: [broker.bootstrap], users: {}, sasl: { username: 'bob', password: 'bob-secret' } });
    assert.deepEqual(forced.clientOptions('x', undefined, 'producer "x"').sasl, { mechanism: 'PLAIN', username: 'bob', password: 'bob-secret' });
  });

  test('wrong credentials are refused naming --bootstrap', async () => {
    await assert.rejects(connectCluster({ bootstrap: [broker.bootstrap], users: {}, sasl: { username: 'alice', password: 'wrong' } }), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'SLUICE_ERR_CLI_ARGUMENT');
      assert.ok(err.message.startsWith(`--bootstrap: cannot reach the cluster at ${broker.bootstrap} with SASL/PLAIN as "alice": `), err.message);
      return true;
    });
  });

  test("a user's produce quota shows as broker-reported throttle time", { timeout: 20_000 }, async () => {
    const admin = new Admin({ clientId: 'quota-setter', bootstrapBrokers: [broker.bootstrap], sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } });
    try {
      await admin.alterClientQuotas({
        entries: [{ entities: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'producer_byte_rate', value: 20_000, remove: false }] }],
      });
    } catch (error) {
      assert.fail(describeError(error));
    } finally {
      await admin.close();
    }
    const { run, status } = await runScenario(
      [
        'name: quota',
        `users: { alice: ${USERS.alice}, bob: ${USERS.bob} }`,
        'producers:',
        '  - { id: free, user: alice, topic: quota-free, rate: 100, size: 1024 }',
        '  - { id: capped, user: bob, topic: quota-capped, rate: 100, size: 1024 }',
      ].join('\n'),
      { bootstrap: broker.bootstrap, durationMs: 3000, statusIntervalMs: 1000 },
    );
    assert.equal(run.access.sasl, true);
    const summary = await run.done;
    const free = summary.sample.producers.find((p) => p.id === 'free');
    const capped = summary.sample.producers.find((p) => p.id === 'capped');
    assert.equal(free?.throttle.throttled, 0);
    assert.ok((capped?.throttle.throttled ?? 0) > 0 && (capped?.throttle.totalMs ?? 0) > 0, JSON.stringify(capped?.throttle));
    // 100 KiB/s asked against 20,000 B/s allowed (after the burst the quota window lets through).
    assert.ok((capped?.acked ?? 0) < (free?.acked ?? 0), `capped acked ${capped?.acked}, free ${free?.acked}`);
    // The asked rate of one second may read 99 or 101 (the pacing schedule's rounding at second boundaries).
    assert.ok(status.some((line) => /\| capped [\d.]+\/(99|100|101) msg\/s .* throttle \d+ms in \d+\/\d+ responses/.test(line)), status.join('\n'));
  });
});
