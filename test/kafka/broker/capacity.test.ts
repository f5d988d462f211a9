import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../../../src/kafka/broker/index.ts';
import { encodeRequest } from '../../../src/kafka/protocol/frames.ts';
import { buildBatch } from '../../../src/kafka/protocol/records.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { CapacityModel } from '../../../src/kafka/broker/capacity.ts';

const CAPACITY = 1_000_000; // bytes/s in
const REQUEST_VALUE = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('capacity model, pure: handlers queue behind a saturated network, idle falls to zero', () => {
  const m = new CapacityModel({ networkInBytesPerSec: 1000, networkOutBytesPerSec: 1000, requestHandlers: 2 });
  // 100 bytes in = 100 ms on the network; the first request gets a handler at once.
  const a = m.schedule(0, 100, 0);
  assert.deepEqual([a.queueMs, Math.round(a.localMs * 100) / 100], [0, 100.02]);
  // The second gets the other handler but waits for the network: local time includes the wait.
  const b = m.schedule(0, 100, 0);
  assert.deepEqual([b.queueMs, Math.round(b.doneAt * 100) / 100], [0, 200.02]);
  // The third waits for a handler (queue time), then the network.
  const c = m.schedule(0, 100, 0);
  assert.equal(Math.round(c.queueMs * 100) / 100, 100.02);
  assert.equal(Math.round(c.doneAt * 100) / 100, 300.02);
  // Out direction is a separate pipe.
  const d = new CapacityModel({ networkInBytesPerSec: 1000, networkOutBytesPerSec: 500, requestHandlers: 1 }).schedule(0, 0, 100);
  assert.equal(Math.round(d.localMs * 100) / 100, 200.02);
});

test('capacity model, pure: a small response passes a large backlog at its fair share; large ones still queue', () => {
  const MIB = 1024 * 1024;
  const m = new CapacityModel({ networkInBytesPerSec: MIB, networkOutBytesPerSec: MIB, requestHandlers: 4 });
  // 1 MiB out = 1 s of the link.
  assert.equal(Math.round(m.schedule(0, 0, MIB).doneAt * 100) / 100, 1000.02);
  // 1 KiB beside one transfer in flight: two flows share the link, 2 × 0.98 ms, not 1,001 ms.
  assert.equal(Math.round(m.schedule(0, 0, 1024).doneAt * 100) / 100, 1.97);
  // Another 1 MiB finishes after everything before it, the small one's bytes included.
  assert.equal(Math.round(m.schedule(0, 0, MIB).doneAt * 100) / 100, 2001);
  // The busy time counts every byte: 2,001 ms of the 10 s window.
  assert.equal(Math.round(m.networkIdle(2001) * 1000) / 1000, 0.8);
});

test('capacity model, pure: replication takes link time from requests but no request handler', () => {
  const m = new CapacityModel({ networkInBytesPerSec: 1000, networkOutBytesPerSec: 1000, requestHandlers: 1 });
  // A follower appends 1,000 replicated bytes: 1 s of network in, no handler.
  m.transfer(0, 1000, 0);
  // A 10-byte produce gets the one handler at once and shares the link: 2 × 10 ms.
  const produce = m.schedule(0, 10, 0);
  assert.deepEqual([produce.queueMs, Math.round(produce.doneAt * 100) / 100], [0, 20.02]);
  // The link was busy for every byte (1,010 ms of the 10 s window); the handler for 20 ms.
  assert.equal(Math.round(m.networkIdle(1010) * 1000) / 1000, 0.899);
  assert.equal(Math.round(m.handlerIdle(1010) * 1000) / 1000, 0.998);
});

test('capacity model, pure: small and large transfers together never move more than the link', () => {
  const C = 400 * 1024;
  /** Closed-loop flows (each sends again 1 ms after its last transfer is through) for 200 s: percent of the link each got. */
  const run = (sizes: number[]): number[] => {
    const m = new CapacityModel({ networkInBytesPerSec: 1e12, networkOutBytesPerSec: C, requestHandlers: 16 });
    const next = sizes.map(() => 0);
    const got = sizes.map(() => 0);
    for (;;) {
      let i = 0;
      for (let j = 1; j < next.length; j++) if (next[j]! < next[i]!) i = j;
      if (next[i]! > 200_000) break;
      const done = m.schedule(next[i]!, 0, sizes[i]!).doneAt;
      if (done <= 200_000) got[i]! += sizes[i]!;
      next[i] = done + 1;
    }
    return got.map((g) => Math.round((1000 * g) / (200 * C)) / 10);
  };
  const total = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) * 10) / 10;
  // Three 1 MB readers share the link evenly.
  assert.deepEqual(run([1e6, 1e6, 1e6]), [33, 33, 33]);
  // A 1 MB reader beside three 100-byte request/response loops: they are served beside it, and
  // it makes room for their bytes (first come first served alone would hold each behind 2.4 s).
  const mixed = run([1e6, 100, 100, 100]);
  assert.deepEqual(mixed, [52.5, 15.8, 15.8, 15.8]);
  assert.equal(total(mixed), 99.9);
  // Four 90 kB loops beside a 1 MB one: within 5% of the link at worst, over 200 s.
  assert.equal(total(run([1e6, 9e4, 9e4, 9e4, 9e4])), 104.3);
});

/** Connections the load is spread over: a broker handles one request per connection at a time, as Kafka does. */
const CONNECTIONS = 8;

/**
 * Produces `REQUEST_VALUE`-byte batches every `everyMs` for `ms`, open loop (no waiting for
 * responses), round-robin over `CONNECTIONS` connections, so that the handlers (4) can all be busy.
 */
async function offer(everyMs: number, ms: number): Promise<{ idle: number; p99: number; requests: number }> {
  const c = await startCluster({ port: 0, capacity: { networkInBytesPerSec: CAPACITY, requestHandlers: 4 }, topics: [{ name: 'load', partitions: 1 }] });
  const raws = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawClient.connect(c.port)));
  try {
    const records = buildBatch([{ value: Buffer.alloc(REQUEST_VALUE, 1) }]);
    const start = Date.now();
    let n = 0;
    while (Date.now() - start < ms) {
      if (n * everyMs <= Date.now() - start) {
        raws[n % CONNECTIONS]!.write(encodeRequest(0, 7, n, 'load', { transactionalId: null, acks: 1, timeoutMs: 60_000, topicData: [{ name: 'load', partitionData: [{ index: 0, records }] }] }));
        n++;
      } else await sleep(1);
    }
    const node = c.cluster.nodes[0]!;
    const now = Date.now();
    // Every request is accounted when it arrives; its total time is known then.
    await sleep(50);
    return { idle: node.model.handlerIdle(now), p99: node.stats.requests.get('Produce')!.totalTime.quantiles([0.99], Date.now())[0]!, requests: n };
  } finally {
    for (const raw of raws) raw.close();
    await c.stop();
  }
}

test('at 2× capacity handlers are saturated and produce p99 is ≥ 5× its idle value; below 50% the reverse', async () => {
  // Idle reference: 5% of capacity.
  const idle = await offer(400, 4_000);
  // Below 50%: 40% of capacity over a full 10 s idle window.
  const low = await offer(50, 10_000);
  // 2× capacity.
  const high = await offer(10, 10_000);
  const report = `idle p99 ${idle.p99.toFixed(1)} ms; 40%: idle ${(low.idle * 100).toFixed(1)}%, p99 ${low.p99.toFixed(1)} ms; 200%: idle ${(high.idle * 100).toFixed(1)}%, p99 ${high.p99.toFixed(1)} ms`;
  console.log(report);
  assert.ok(high.idle < 0.1, report);
  assert.ok(high.p99 >= 5 * idle.p99, report);
  assert.ok(low.idle >= 0.1, report);
  assert.ok(low.p99 < 5 * idle.p99, report);
  assert.ok(low.idle > 0.5, report);
});

test('writes beyond the log-dir capacity fail with KAFKA_STORAGE_ERROR; retention frees room', async () => {
  const c = await startCluster({ port: 0, capacity: { logDirBytes: 50_000 }, topics: [{ name: 'disk', partitions: 1, configs: { 'retention.bytes': '40000' } }] });
  const raw = await RawClient.connect(c.port);
  try {
    const records = buildBatch([{ value: Buffer.alloc(10_000, 2) }]);
    const produce = async () => (await raw.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'disk', partitionData: [{ index: 0, records }] }] })).responses[0].partitionResponses[0].errorCode;
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push(await produce());
    // Four batches of just over 10 kB fit in 50,000 bytes; the fifth would not.
    assert.deepEqual(codes, [0, 0, 0, 0, 56, 56]);
    assert.equal(c.cluster.nodes[0]!.stats.storageErrors, 2);
    c.cluster.applyRetention(Date.now());
    await sleep(250);
    assert.equal(await produce(), 0);
  } finally {
    raw.close();
    await c.stop();
  }
});
