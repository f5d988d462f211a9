/**
 * Client capacity per direction: the network bound of each direction alone (not a sum),
 * replication bytes counted against produce, the handler bound with its margin where handlers
 * are the busier resource, and the resource that set the capacity named.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amplificationOf, clientCapacity, type BrokerTraffic } from '../../src/throttle/capacity.ts';
import { fitLoadModel, fixedModel, type LoadModel } from '../../src/throttle/model.ts';

const KIB = 1024;
const network = { bytesInPerSec: 400 * KIB, bytesOutPerSec: 400 * KIB };
const netOnly = fixedModel(network, 0, { bytesIn: 0, bytesOut: 0, requests: 0 }, 'test');
const traffic = (t: Partial<BrokerTraffic>): BrokerTraffic => ({ clientIn: 0, clientOut: 0, replicationIn: 0, replicationOut: 0, requests: 100, ...t });
const near = (got: number, want: number) => assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);

test('replication factor 1: each direction is bounded by its own network at the target, whatever the other does', () => {
  // The consumer reads 380 KiB/s of 400: network out is nearly full, which says nothing of produce.
  const t = traffic({ clientIn: 100 * KIB, clientOut: 380 * KIB });
  const amp = amplificationOf(t, [t]);
  assert.deepEqual(amp, { in: 0, out: 0 });
  const produce = clientCapacity(netOnly, t, 'produce', 0.7, amp);
  near(produce.bytesPerSec, 0.7 * 400 * KIB);
  assert.equal(produce.bound, 'network in');
  const consume = clientCapacity(netOnly, t, 'consume', 0.7, amp);
  near(consume.bytesPerSec, 0.7 * 400 * KIB);
  assert.equal(consume.bound, 'network out');
});

test('replication factor 3: produce pays for its replicas in and out; consumers share network out with replication', () => {
  // 60 KiB/s produced here brings 120 in as a follower and sends 120 out to followers.
  const t = traffic({ clientIn: 60 * KIB, replicationIn: 120 * KIB, replicationOut: 120 * KIB, clientOut: 40 * KIB });
  const amp = amplificationOf(t, [t]);
  assert.deepEqual(amp, { in: 2, out: 2 });
  // Network in: P·3 ≤ 280 KiB/s → 93.3; network out: 40 + 2P ≤ 280 → 120. In binds.
  const produce = clientCapacity(netOnly, t, 'produce', 0.7, amp);
  near(produce.bytesPerSec, (0.7 * 400 * KIB) / 3);
  assert.equal(produce.bound, 'network in');
  // Network out: C + 2 × 60 ≤ 280 KiB/s → 160.
  near(clientCapacity(netOnly, t, 'consume', 0.7, amp).bytesPerSec, 160 * KIB);
});

test('replication factor 3: network out is shared max-min between replication and consumer fetches', () => {
  const amp = { in: 2, out: 2 };
  const at = (produced: number, fetched: number) => clientCapacity(netOnly, traffic({ clientIn: produced * KIB, replicationIn: 2 * produced * KIB, replicationOut: 2 * produced * KIB, clientOut: fetched * KIB }), 'produce', 0.7, amp);
  // Consumers under half of the 280 KiB/s of room are held where they are: 100 + 2P ≤ 280 → 90 KiB/s, under network in's 93.3.
  assert.deepEqual(at(100, 100), { bytesPerSec: 90 * KIB, bound: 'network out' });
  // Consumers over half, replication (200) over half too: each flow gets half, 2P ≤ 140 → 70 KiB/s.
  assert.deepEqual(at(100, 150), { bytesPerSec: 70 * KIB, bound: 'network out' });
  // Consumers take 250 of the 280 (a replay reading a backlog) while replication takes 120, under
  // half: producers keep what they send now, 60 KiB/s; were consumers held at 250, produce would
  // be cut to (280 − 250) / 2 = 15 KiB/s for bytes out that are not its own.
  assert.deepEqual(at(60, 250), { bytesPerSec: 60 * KIB, bound: 'network out' });
  // Consumers alone over the whole room: produce is not driven to 0.
  assert.deepEqual(at(60, 400), { bytesPerSec: 60 * KIB, bound: 'network out' });
  // Replication taking little, consumers under half: producers may grow into the room consumers leave.
  assert.deepEqual(at(20, 100), { bytesPerSec: 90 * KIB, bound: 'network out' });
});

test('a broker that takes no produce uses the cluster\'s replication ratios', () => {
  const idle = traffic({ replicationIn: 50 * KIB });
  const busy = traffic({ clientIn: 100 * KIB, replicationIn: 50 * KIB, replicationOut: 100 * KIB });
  assert.deepEqual(amplificationOf(idle, [idle, busy]), { in: 1, out: 1 });
  assert.deepEqual(amplificationOf(traffic({}), [traffic({})]), { in: 0, out: 0 });
});

test('handlers bound a direction when they fill first, less two residual deviations', () => {
  // Handlers: 0.1 + 2e-6 per byte/s in, no other cost, residual std 0.01.
  const model: LoadModel = { ...netOnly, kind: 'fit', intercept: 0.1, coefficients: { bytesIn: 2e-6, bytesOut: 0, requests: 0 }, r2: 0.95, residualStd: 0.01 };
  const t = traffic({ clientIn: 100 * KIB });
  // Handlers allow (0.7 − 0.02 − 0.1) / 2e-6 = 290,000 B/s, above network in's 0.7 × 400 KiB/s = 286,720: the network binds.
  assert.equal(clientCapacity(model, t, 'produce', 0.7, { in: 0, out: 0 }).bound, 'network in');
  const slower = { ...model, coefficients: { ...model.coefficients, bytesIn: 4e-6 } };
  const c = clientCapacity(slower, t, 'produce', 0.7, { in: 0, out: 0 });
  near(c.bytesPerSec, (0.7 - 0.02 - 0.1) / 4e-6);
  assert.equal(c.bound, 'handlers');
  // On a broker whose network is busier than its handlers, handler time includes waiting on the
  // network: the fit does not bound the traffic there, the network does.
  assert.deepEqual(clientCapacity(slower, t, 'produce', 0.7, { in: 0, out: 0 }, false), { bytesPerSec: 0.7 * 400 * KIB, bound: 'network in' });
  // Consumers do not load these handlers: network out bounds them.
  assert.equal(clientCapacity(slower, t, 'consume', 0.7, { in: 0, out: 0 }).bound, 'network out');
  // Over already: 0, not negative.
  assert.equal(clientCapacity(slower, t, 'produce', 0.05, { in: 0, out: 0 }).bytesPerSec, 0);
});

test('a fitted model is used as fitted: its handler part from points of a real fit', () => {
  const points = Array.from({ length: 20 }, (_, i) => {
    const bytesIn = (50 + 10 * i) * KIB;
    const handlers = 0.05 + 1e-6 * bytesIn;
    return { bytesIn, bytesOut: 10 * KIB, requests: 100, handlers, utilization: Math.max(handlers, bytesIn / network.bytesInPerSec) };
  });
  const model = fitLoadModel(points, network);
  assert.equal(model.kind, 'fit');
  const c = clientCapacity(model, traffic({ clientIn: 100 * KIB, clientOut: 10 * KIB }), 'produce', 0.7, { in: 0, out: 0 });
  // Handlers would allow (0.7 − 0.05) / 1e-6 = 650,000 B/s: network in binds.
  assert.deepEqual(c, { bytesPerSec: 0.7 * 400 * KIB, bound: 'network in' });
});
