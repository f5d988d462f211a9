/**
 * Burrow's HTTP API v3 over real HTTP, served from a real topic collector watching a bundled
 * 3-broker cluster, with commit windows read from `__consumer_offsets`. Seven groups commit
 * through three collection cycles while the log grows 10 messages a cycle on both partitions of
 * `orders`; each group's status is what Burrow 1.2's rules give for its window of 3 commits:
 *   consuming  commits the log end on both partitions          OK
 *   lagging    5, 10, 15 on p0 (lag 5, 10, 15)                 WARN (lag never decreases)
 *   stalled    4, 4, 4 on p0 (lag 6, 16, 26)                   STALL, group ERR
 *   rewound    8, 3, 6 on p0 (lag 2, 17, 24)                   REWIND, group ERR
 *   stopped    2, 4, 6 on p0, then nothing                     WARN now, STOP later, group ERR
 *   partial    the log end on p0 only                          OK; p1 listed, complete 0
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { buildApi, listenApi } from '../../src/api/server.ts';
import { burrowRoutes } from '../../src/api/routes/burrow.ts';
import { burrowCluster } from '../../src/api/burrow/source.ts';
import { startCluster, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { TopicCollector } from '../../src/collect/topics.ts';
import { adminOptionsOf, parseCollectConfig } from '../../src/collect/config.ts';
import { bundledClusterEntry } from '../helpers/service.ts';
import { waitFor } from '../helpers/broker.ts';

let running: RunningCluster;
let admin: KafkaAdmin;
let collector: TopicCollector;
let producer: Producer;
let api: FastifyInstance;
let url: string;
/** The clock statuses are evaluated at; undefined: the wall clock. */
let now: number | undefined;
/** When the last cycle's commits had all been read. */
let doneAt = 0;

const GROUPS = ['consuming', 'lagging', 'partial', 'rewound', 'stalled', 'stopped', 'warmup'];

/** Commits of each group in cycle i (0..2), the log end being 10 (i + 1) on both partitions. */
function commitsOf(i: number): Record<string, { partition: number; offset: number }[]> {
  const end = 10 * (i + 1);
  return {
    consuming: [{ partition: 0, offset: end }, { partition: 1, offset: end }],
    lagging: [{ partition: 0, offset: 5 * (i + 1) }],
    stalled: [{ partition: 0, offset: 4 }],
    rewound: [{ partition: 0, offset: [8, 3, 6][i]! }],
    stopped: [{ partition: 0, offset: 2 * (i + 1) }],
    partial: [{ partition: 0, offset: end }],
  };
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path);
  return { status: res.status, body: await res.json() };
}

before(async () => {
  running = await startCluster({ brokers: 3, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }] });
  const config = parseCollectConfig({ clusters: [bundledClusterEntry(running, 'test', { timeouts: { requestMs: 2000, connectMs: 1000, scrapeMs: 2000 } })] }).clusters[0]!;
  admin = new KafkaAdmin(adminOptionsOf(config));
  collector = new TopicCollector(config, new KafkaAdmin(adminOptionsOf(config)), { commitWindows: { intervals: 3 } });
  producer = new Kafka({ brokers: running.bootstrap.split(','), clientId: 'burrow-api-test', logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  api = await buildApi({ registry: new Registry(), readiness: { checks: async () => [] }, plugins: [(app) => burrowRoutes(app, { clusters: () => [burrowCluster(collector)], now: () => now ?? Date.now(), host: 'sluice-test' })] });
  url = await listenApi(api, 0);

  // A first commit creates __consumer_offsets; the first cycle starts reading it, and once a
  // round has read it the next cycle takes the topic as the commit source.
  await admin.metadata();
  await admin.commitOffsets('warmup', [{ topic: 'orders', partition: 0, offset: 0 }]);
  await collector.collect({ nowMs: Date.now() });
  await waitFor(() => collector.commits.readerState?.lastReadMs !== undefined, 5000, 'the offsets topic read');
  for (let i = 0; i < 3; i++) {
    for (const partition of [0, 1]) await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, k) => ({ value: `m${i}-${k}`, partition })) });
    // The cycle records the log end that each commit's lag is taken against, as Burrow's
    // cluster module does before the commits arrive.
    const result = await collector.collect({ nowMs: Date.now() });
    assert.deepEqual(result.errors, []);
    assert.equal(collector.commits.source, 'offsets-topic');
    for (const [group, offsets] of Object.entries(commitsOf(i))) {
      assert.deepEqual((await admin.commitOffsets(group, offsets.map((o) => ({ topic: 'orders', ...o })))).errors, []);
    }
    await waitFor(() => Object.entries(commitsOf(i)).every(([group, offsets]) => offsets.every((o) => collector.commits.windows.window(group, 'orders', o.partition)?.commits.length === i + 1)), 5000, `cycle ${i} commits read`);
  }
  doneAt = Date.now();
  now = doneAt;
});

after(async () => {
  await api?.close();
  await producer?.disconnect().catch(() => undefined);
  await collector?.close();
  await admin?.close();
  await running?.stop();
});

/** A partition's status without its commit timestamps (wall-clock times). */
function untimed(p: any): any {
  const strip = (o: any) => (o === null ? null : { offset: o.offset, lag: o.lag });
  return { ...p, start: strip(p.start), end: strip(p.end) };
}

describe('Burrow v3 API over a real collector', () => {
  test('/lag of each group: the status Burrow 1.2 gives, with partitions, maxlag and totallag', async () => {
    const expected: Record<string, { status: string; totallag: number; complete: number; partitions: [number, string, number, [number, number] | null, [number, number] | null, number][] }> = {
      // [partition, status, current lag, start [offset, lag], end [offset, lag], complete]
      consuming: { status: 'OK', totallag: 0, complete: 1, partitions: [[0, 'OK', 0, [10, 0], [30, 0], 1], [1, 'OK', 0, [10, 0], [30, 0], 1]] },
      lagging: { status: 'WARN', totallag: 15, complete: 0.5, partitions: [[0, 'WARN', 15, [5, 5], [15, 15], 1], [1, 'OK', 0, null, null, 0]] },
      stalled: { status: 'ERR', totallag: 26, complete: 0.5, partitions: [[0, 'STALL', 26, [4, 6], [4, 26], 1], [1, 'OK', 0, null, null, 0]] },
      rewound: { status: 'ERR', totallag: 24, complete: 0.5, partitions: [[0, 'REWIND', 24, [8, 2], [6, 24], 1], [1, 'OK', 0, null, null, 0]] },
      stopped: { status: 'WARN', totallag: 24, complete: 0.5, partitions: [[0, 'WARN', 24, [2, 8], [6, 24], 1], [1, 'OK', 0, null, null, 0]] },
      partial: { status: 'OK', totallag: 0, complete: 0.5, partitions: [[0, 'OK', 0, [10, 0], [30, 0], 1], [1, 'OK', 0, null, null, 0]] },
    };
    for (const [group, want] of Object.entries(expected)) {
      const { status, body } = await get(`/v3/kafka/test/consumer/${group}/lag`);
      assert.equal(status, 200, group);
      assert.deepEqual(Object.keys(body), ['error', 'message', 'status', 'request']);
      assert.deepEqual({ ...body, status: undefined }, { error: false, message: 'consumer status returned', status: undefined, request: { url: `/v3/kafka/test/consumer/${group}/lag`, host: 'sluice-test' } });
      const s = body.status;
      assert.deepEqual(Object.keys(s), ['cluster', 'group', 'status', 'complete', 'partitions', 'partition_count', 'maxlag', 'totallag', 'commit_source']);
      assert.deepEqual([s.cluster, s.group, s.status, s.complete, s.partition_count, s.totallag, s.commit_source], ['test', group, want.status, want.complete, 2, want.totallag, 'offsets-topic'], group);
      const partitions = s.partitions.map(untimed);
      assert.deepEqual(partitions, want.partitions.map(([partition, st, lag, start, end, complete]) => ({
        topic: 'orders', partition, owner: '', client_id: '', status: st,
        start: start && { offset: start[0], lag: start[1] }, end: end && { offset: end[0], lag: end[1] }, current_lag: lag, complete,
      })), group);
      // maxlag: the partition with the most lag (p0 for every group here), the first on a tie.
      assert.deepEqual(untimed(s.maxlag), partitions[0], group);
      if (s.partitions[0].start !== null) assert.ok(s.partitions[0].start.timestamp <= s.partitions[0].end.timestamp && s.partitions[0].end.timestamp <= doneAt);
    }
  });

  test('/status lists only the partitions that are not OK', async () => {
    const stalled = (await get('/v3/kafka/test/consumer/stalled/status')).body.status;
    assert.deepEqual(stalled.partitions.map((p: any) => [p.partition, p.status]), [[0, 'STALL']]);
    assert.equal(stalled.partition_count, 2);
    assert.deepEqual((await get('/v3/kafka/test/consumer/consuming/status')).body.status.partitions, []);
  });

  test('a group that stops committing while the log grows is STOP once its silence outlasts its window', async () => {
    const detail = (await get('/v3/kafka/test/consumer/stopped')).body.topics.orders[0].offsets;
    const [first, , last] = detail as { timestamp: number }[];
    const span = last!.timestamp - first!.timestamp;
    // Burrow reads now in whole seconds; a silence of span + 1 s is past the window's span.
    now = last!.timestamp + span + 1000;
    try {
      const s = (await get('/v3/kafka/test/consumer/stopped/lag')).body.status;
      assert.deepEqual([s.status, s.partitions[0].status, s.totallag], ['ERR', 'STOP', 24]);
      // Still OK: the consuming group is caught up, and zero lag is never an error.
      assert.equal((await get('/v3/kafka/test/consumer/consuming/lag')).body.status.status, 'OK');
    } finally {
      now = doneAt;
    }
  });

  test('clusters, cluster settings, topics, log end offsets and groups', async () => {
    const request = (path: string) => ({ url: path, host: 'sluice-test' });
    assert.deepEqual((await get('/v3/kafka')).body, { error: false, message: 'cluster list returned', clusters: ['test'], request: request('/v3/kafka') });
    assert.deepEqual((await get('/v3/kafka/test')).body, {
      error: false, message: 'cluster module detail returned',
      module: {
        'class-name': 'kafka', servers: running.bootstrap.split(','),
        'client-profile': { name: 'sluice', 'client-id': 'sluice-collect-test', 'kafka-version': '', tls: null, sasl: null },
        'topic-refresh': 30, 'offset-refresh': 30,
      },
      request: request('/v3/kafka/test'),
    });
    assert.deepEqual((await get('/v3/kafka/test/topic')).body, { error: false, message: 'topic list returned', topics: ['orders'], request: request('/v3/kafka/test/topic') });
    assert.deepEqual((await get('/v3/kafka/test/topic/orders')).body, { error: false, message: 'topic offsets returned', offsets: [30, 30], request: request('/v3/kafka/test/topic/orders') });
    const consumers = (await get('/v3/kafka/test/topic/orders/consumers')).body;
    assert.deepEqual({ ...consumers, consumers: [...consumers.consumers].sort() }, { error: false, message: 'consumers of topic returned', consumers: GROUPS, request: request('/v3/kafka/test/topic/orders/consumers') });
    const list = (await get('/v3/kafka/test/consumer')).body;
    assert.deepEqual({ ...list, consumers: [...list.consumers].sort() }, { error: false, message: 'consumer list returned', consumers: GROUPS, request: request('/v3/kafka/test/consumer') });
  });

  test('a group\'s detail: each partition\'s window, padded with null to the window length, and its current lag', async () => {
    const { status, body } = await get('/v3/kafka/test/consumer/warmup');
    assert.equal(status, 200);
    const untimedOffsets = (o: any) => (o === null ? null : { offset: o.offset, lag: o.lag });
    assert.deepEqual({ ...body, topics: { orders: body.topics.orders.map((p: any) => ({ ...p, offsets: p.offsets.map(untimedOffsets) })) } }, {
      error: false, message: 'consumer detail returned',
      // Committed once, at 0, when the log end read before it was 0.
      topics: { orders: [{ offsets: [null, null, { offset: 0, lag: 0 }], owner: '', client_id: '', 'current-lag': 30 }, { offsets: [], owner: '', client_id: '', 'current-lag': 0 }] },
      request: { url: '/v3/kafka/test/consumer/warmup', host: 'sluice-test' },
    });
    const lagging = (await get('/v3/kafka/test/consumer/lagging')).body.topics.orders[0];
    assert.deepEqual(lagging.offsets.map(untimedOffsets), [{ offset: 5, lag: 5 }, { offset: 10, lag: 10 }, { offset: 15, lag: 15 }]);
    assert.equal(lagging['current-lag'], 15);
  });

  test('unknown clusters, topics, groups and paths answer 404 as Burrow does', async () => {
    const request = (path: string) => ({ url: path, host: 'sluice-test' });
    assert.deepEqual(await get('/v3/kafka/nope'), { status: 404, body: { error: true, message: 'cluster module not found', request: request('/v3/kafka/nope') } });
    assert.deepEqual(await get('/v3/kafka/nope/topic'), { status: 404, body: { error: true, message: 'cluster not found', request: request('/v3/kafka/nope/topic') } });
    assert.deepEqual(await get('/v3/kafka/test/topic/nope'), { status: 404, body: { error: true, message: 'cluster or topic not found', request: request('/v3/kafka/test/topic/nope') } });
    assert.deepEqual(await get('/v3/kafka/nope/consumer'), { status: 404, body: { error: true, message: 'cluster not found', request: request('/v3/kafka/nope/consumer') } });
    assert.deepEqual(await get('/v3/kafka/test/consumer/no%20such'), { status: 404, body: { error: true, message: 'cluster or consumer not found', request: request('/v3/kafka/test/consumer/no such') } });
    for (const path of ['/v3/kafka/test/consumer/nope/status', '/v3/kafka/nope/consumer/lagging/lag']) {
      const [, , , cluster, , group] = path.split('/');
      assert.deepEqual(await get(path), {
        status: 404,
        body: {
          error: false, message: 'consumer status returned',
          status: { cluster, group, status: 'NOTFOUND', complete: 1, partitions: [], partition_count: 0, maxlag: null, totallag: 0 },
          request: request(path),
        },
      });
    }
    assert.deepEqual(await get('/v3/kafka/test/nothing/here'), { status: 404, body: { error: true, message: 'invalid request type', result: {} } });
  });
});
