import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { startCluster, type BrokerOptions, type RunningCluster } from '../../../src/kafka/broker/index.ts';
import { DEFAULT_CAPACITY } from '../../../src/kafka/broker/options.ts';
import { startControlServer, type RunningControl } from '../../../src/kafka/broker/control.ts';
import { KafkaError } from '../../../src/kafka/protocol/error-codes.ts';
import { buildBatch } from '../../../src/kafka/protocol/records.ts';
import { RawClient } from '../../helpers/raw-client.ts';

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Runs `fn` against a 3-broker cluster with its control API, capturing the control log. */
async function withControl(options: BrokerOptions, fn: (c: RunningCluster, control: RunningControl, logs: Record<string, unknown>[]) => Promise<void>): Promise<void> {
  const c = await startCluster({ port: 0, brokers: 3, autoLeaderRebalance: false, ...options });
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info', base: null, timestamp: false }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const control = await startControlServer(c.cluster, { host: '127.0.0.1', port: 0, logger });
  try {
    await fn(c, control, logs);
  } finally {
    await control.stop();
    await c.stop();
  }
}

async function call(control: RunningControl, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${control.url}${path}`, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  return { status: res.status, body: await res.json() };
}

function state(c: RunningCluster, id: number, changes: Record<string, unknown> = {}) {
  return { id, alive: true, port: c.cluster.nodes[id]!.port, controller: id === 0, latencyMs: 0, replicationCut: false, capacity: DEFAULT_CAPACITY, ...changes };
}

const metadata = (raw: RawClient) => raw.request(3, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });

test('GET /brokers lists every broker with its state', async () => {
  await withControl({}, async (c, control) => {
    assert.match(control.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(control.url, `http://127.0.0.1:${control.port}`);
    assert.deepEqual(await call(control, 'GET', '/brokers'), { status: 200, body: [state(c, 0), state(c, 1), state(c, 2)] });
    assert.deepEqual(await call(control, 'GET', '/brokers/2/'), { status: 200, body: state(c, 2) });
  });
});

test('stop moves leaderships off the broker and Metadata drops it; start brings it back', async () => {
  await withControl({ topics: [{ name: 'spread', partitions: 3, replicationFactor: 2 }] }, async (c, control, logs) => {
    const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
    try {
      const before = await metadata(raw);
      assert.deepEqual(before.brokers.map((b: any) => b.nodeId), [0, 1, 2]);
      assert.deepEqual(before.topics[0].partitions.map((p: any) => p.leaderId), [0, 1, 2]);

      assert.deepEqual(await call(control, 'POST', '/brokers/1/stop'), { status: 200, body: state(c, 1, { alive: false }) });
      assert.deepEqual(c.cluster.liveNodes().map((n) => n.nodeId), [0, 2]);
      const during = await metadata(raw);
      assert.deepEqual(during.brokers.map((b: any) => b.nodeId), [0, 2]);
      const leaders = during.topics[0].partitions.map((p: any) => p.leaderId);
      assert.ok(!leaders.includes(1), `leaders ${leaders}`);
      assert.ok(leaders.every((l: number) => l >= 0));
      // A stopped broker is stopped: stopping it again changes nothing.
      assert.deepEqual(await call(control, 'POST', '/brokers/1/stop', {}), { status: 200, body: state(c, 1, { alive: false }) });

      assert.deepEqual(await call(control, 'POST', '/brokers/1/start'), { status: 200, body: state(c, 1) });
      assert.deepEqual((await metadata(raw)).brokers.map((b: any) => b.nodeId), [0, 1, 2]);
      const back = await RawClient.connect(c.cluster.nodes[1]!.port);
      back.close();

      assert.deepEqual(await call(control, 'POST', '/brokers/0/stop'), { status: 200, body: state(c, 0, { alive: false, controller: false }) });
      assert.deepEqual((await call(control, 'GET', '/brokers/1')).body, state(c, 1, { controller: true }));
    } finally {
      raw.close();
    }
    assert.deepEqual(
      logs.filter((l) => l.action !== undefined).map((l) => l.msg),
      ['fault control: broker 1 stopped', 'fault control: broker 1 stopped', 'fault control: broker 1 started', 'fault control: broker 0 stopped'],
    );
  });
});

test('start with wipe brings the broker back with empty logs, which then catch up', async () => {
  await withControl({ topics: [{ name: 'disk', partitions: 1, replicationFactor: 3 }] }, async (c, control, logs) => {
    const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
    const produce = await raw.request(0, 7, { transactionalId: null, acks: -1, timeoutMs: 3000, topicData: [{ name: 'disk', partitionData: [{ index: 0, records: buildBatch([{ value: 'a' }, { value: 'b' }]) }] }] });
    raw.close();
    assert.equal(produce.responses[0].partitionResponses[0].errorCode, 0);
    const p = c.cluster.topics.partition('disk', 0)!;
    assert.equal(p.copies.get(2)!.log.logEndOffset, 2);
    // Keep the restarted broker from fetching so that its empty log can be seen.
    await call(control, 'POST', '/brokers/2/replication', { enabled: false });
    await call(control, 'POST', '/brokers/2/stop');
    assert.deepEqual(await call(control, 'POST', '/brokers/2/start', { wipe: true }), { status: 200, body: state(c, 2, { replicationCut: true }) });
    assert.equal(p.copies.get(2)!.log.logEndOffset, 0);
    assert.deepEqual(await call(control, 'POST', '/brokers/2/replication', { enabled: true }), { status: 200, body: state(c, 2) });
    await waitFor('wiped replica catches up', () => p.copies.get(2)!.log.logEndOffset === 2 && p.isr.includes(2));
    assert.ok(logs.some((l) => l.msg === 'fault control: broker 2 started with empty logs' && l.wipe === true));
  });
});

test('latency delays every response of that broker; 0 clears it', async () => {
  await withControl({}, async (c, control, logs) => {
    const raw = await RawClient.connect(c.cluster.nodes[1]!.port);
    try {
      assert.deepEqual(await call(control, 'POST', '/brokers/1/latency', { ms: 200 }), { status: 200, body: state(c, 1, { latencyMs: 200 }) });
      assert.equal(c.cluster.nodes[1]!.latencyMs, 200);
      let start = performance.now();
      await metadata(raw);
      assert.ok(performance.now() - start >= 199, `took ${performance.now() - start} ms`);
      assert.deepEqual(await call(control, 'POST', '/brokers/1/latency', { ms: 0 }), { status: 200, body: state(c, 1) });
      start = performance.now();
      await metadata(raw);
      assert.ok(performance.now() - start < 150, `took ${performance.now() - start} ms`);
    } finally {
      raw.close();
    }
    assert.deepEqual(
      logs.filter((l) => l.action === 'latency').map((l) => [l.broker, l.ms, l.msg]),
      [[1, 200, 'fault control: broker 1 latency 200 ms'], [1, 0, 'fault control: broker 1 latency 0 ms']],
    );
  });
});

test('cutting replication makes partitions with a replica there under-replicated after replica.lag.time.max.ms', async () => {
  await withControl({ replicaLagTimeMaxMs: 500, topics: [{ name: 'lag', partitions: 1, replicationFactor: 3 }] }, async (c, control) => {
    const p = c.cluster.topics.partition('lag', 0)!;
    assert.deepEqual([...p.isr].sort(), [0, 1, 2]);
    const cutAt = Date.now();
    assert.deepEqual(await call(control, 'POST', '/brokers/2/replication', { enabled: false }), { status: 200, body: state(c, 2, { replicationCut: true }) });
    await waitFor('ISR shrink', () => p.underReplicated);
    assert.ok(Date.now() - cutAt >= 450, `shrunk after ${Date.now() - cutAt} ms`);
    assert.deepEqual([...p.isr].sort(), [0, 1]);
    await call(control, 'POST', '/brokers/2/replication', { enabled: true });
    await waitFor('ISR expand', () => !p.underReplicated);
  });
});

test('capacity changes the broker capacity model: a tiny log dir refuses writes', async () => {
  await withControl({ topics: [{ name: 'cap', partitions: 1, replicationFactor: 1 }] }, async (c, control, logs) => {
    const capacity = { ...DEFAULT_CAPACITY, requestHandlers: 2, networkInBytesPerSec: 5_000_000, logDirBytes: 10 };
    assert.deepEqual(
      await call(control, 'POST', '/brokers/0/capacity', { requestHandlers: 2, networkInBytesPerSec: 5_000_000, logDirBytes: 10 }),
      { status: 200, body: state(c, 0, { capacity }) },
    );
    assert.deepEqual(c.cluster.nodes[0]!.capacity, capacity);
    assert.deepEqual(c.cluster.nodes[1]!.capacity, DEFAULT_CAPACITY);
    await sleep(250); // the log dir usage is cached for 200 ms
    const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
    const res = await raw.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'cap', partitionData: [{ index: 0, records: buildBatch([{ value: 'too big for 10 bytes' }]) }] }] });
    raw.close();
    assert.equal(res.responses[0].partitionResponses[0].errorCode, KafkaError.KAFKA_STORAGE_ERROR);
    const logged = logs.find((l) => l.action === 'capacity');
    assert.deepEqual(logged, { level: 30, broker: 0, action: 'capacity', capacity: { requestHandlers: 2, networkInBytesPerSec: 5_000_000, logDirBytes: 10 }, msg: 'fault control: broker 0 capacity changed' });
  });
});

describe('bad requests', () => {
  let c: RunningCluster;
  let control: RunningControl;
  before(async () => {
    c = await startCluster({ port: 0, brokers: 3 });
    control = await startControlServer(c.cluster, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await control.stop();
    await c.stop();
  });

  test('400 names the field and what was expected, and changes nothing', async () => {
    const cases: [string, unknown, string][] = [
      ['/brokers/1/latency', { ms: 'x' }, 'ms: expected a number >= 0 and <= 60000, got "x"'],
      ['/brokers/1/latency', { ms: -5 }, 'ms: expected a number >= 0 and <= 60000, got -5'],
      ['/brokers/1/latency', undefined, 'body: missing, expected an object'],
      ['/brokers/1/latency', '{"ms": ', 'body: expected JSON, got text that is not JSON'],
      ['/brokers/1/latency', [200], 'body: expected an object, got a list'],
      ['/brokers/1/replication', { enabled: 'no' }, 'enabled: expected true or false, got "no"'],
      ['/brokers/1/replication', { enabled: false, broker: 1 }, 'broker: unknown key'],
      ['/brokers/1/start', { wipe: 1 }, 'wipe: expected true or false, got 1'],
      ['/brokers/1/stop', { now: true }, 'now: unknown key'],
      ['/brokers/1/capacity', {}, 'body: expected at least one of networkInBytesPerSec, networkOutBytesPerSec, requestHandlers, logDirBytes'],
      ['/brokers/1/capacity', { networkInBytesPerSec: 0, requestHandlers: 1.5 }, 'networkInBytesPerSec: expected a number > 0, got 0; requestHandlers: expected an integer from 1 to 1024, got 1.5'],
      ['/brokers/1/capacity', { logDirBytes: -1, requestHandlers: 2000 }, 'requestHandlers: expected an integer from 1 to 1024, got 2000; logDirBytes: expected a positive integer, got -1'],
    ];
    for (const [path, body, error] of cases) {
      assert.deepEqual(await call(control, 'POST', path, body), { status: 400, body: { error } }, `${path} ${JSON.stringify(body)}`);
    }
    assert.deepEqual((await call(control, 'GET', '/brokers/1')).body, state(c, 1));
  });

  test('404 for an unknown broker or route, 405 with Allow for a wrong method', async () => {
    const routes = 'routes are GET /brokers, GET /brokers/{id}, POST /brokers/{id}/{stop|start|latency|replication|capacity}';
    assert.deepEqual(await call(control, 'POST', '/brokers/7/stop'), { status: 404, body: { error: 'broker "7" not found; brokers are 0, 1, 2' } });
    assert.deepEqual(await call(control, 'GET', '/brokers/x'), { status: 404, body: { error: 'broker "x" not found; brokers are 0, 1, 2' } });
    assert.deepEqual(await call(control, 'GET', '/'), { status: 404, body: { error: `no route /; ${routes}` } });
    assert.deepEqual(await call(control, 'POST', '/brokers/1/reboot'), { status: 404, body: { error: `no route /brokers/1/reboot; ${routes}` } });
    assert.deepEqual(await call(control, 'GET', '/brokers/1/stop/now'), { status: 404, body: { error: `no route /brokers/1/stop/now; ${routes}` } });
    const res = await fetch(`${control.url}/brokers/1/stop`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    assert.deepEqual(await res.json(), { error: 'method GET not allowed on /brokers/1/stop; use POST' });
    assert.deepEqual(await call(control, 'DELETE', '/brokers'), { status: 405, body: { error: 'method DELETE not allowed on /brokers; use GET' } });
    assert.deepEqual(await call(control, 'POST', '/brokers/1', {}), { status: 405, body: { error: 'method POST not allowed on /brokers/1; use GET' } });
  });

  test('413 for a body over 64 KiB', async () => {
    assert.deepEqual(await call(control, 'POST', '/brokers/1/latency', 'x'.repeat(70_000)), { status: 413, body: { error: 'body: expected at most 65536 bytes' } });
  });

  test('a port in use is reported as SLUICE_ERR_BROKER_LISTEN', async () => {
    await assert.rejects(startControlServer(c.cluster, { host: '127.0.0.1', port: control.port }), {
      code: 'SLUICE_ERR_BROKER_LISTEN',
      message: `control API could not listen on 127.0.0.1:${control.port}: listen EADDRINUSE: address already in use 127.0.0.1:${control.port}`,
    });
  });
});
