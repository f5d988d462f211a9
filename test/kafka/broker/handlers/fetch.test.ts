import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../../../src/kafka/broker/index.ts';
import { buildBatch, parseBatches, decodeRecords } from '../../../../src/kafka/protocol/records.ts';
import { KafkaError } from '../../../../src/kafka/protocol/error-codes.ts';
import { RawClient } from '../../../helpers/raw-client.ts';

let broker: Awaited<ReturnType<typeof startBroker>>;
let client: RawClient;

before(async () => {
  broker = await startBroker({ port: 0, topics: [{ name: 'f', partitions: 1 }, { name: 'r', partitions: 1, configs: { 'retention.bytes': '300' } }] });
  client = await RawClient.connect(broker.port);
});
after(async () => {
  client.close();
  await broker.stop();
});

const produce = (topic: string, records: Buffer) => client.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });

function fetchBody(topic: string, offset: bigint, maxWaitMs: number, minBytes = 1, partitionMaxBytes = 1 << 20) {
  return {
    replicaId: -1, maxWaitMs, minBytes, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes }] }],
    forgottenTopicsData: [], rackId: '',
  };
}

function values(records: Buffer): string[] {
  return parseBatches(records).flatMap((b) => decodeRecords(b)!.map((r) => r.value!.toString()));
}

test('a long poll at the log end waits until data arrives, then answers at once', async () => {
  const other = await RawClient.connect(broker.port);
  const started = Date.now();
  const pending = other.request(1, 11, fetchBody('f', 0n, 5000));
  await new Promise((r) => setTimeout(r, 200));
  await produce('f', buildBatch([{ value: 'hello' }]));
  const res = await pending;
  const waited = Date.now() - started;
  assert.ok(waited >= 200 && waited < 4000, `waited ${waited} ms`);
  assert.deepEqual(values(res.responses[0].partitions[0].records), ['hello']);
  other.close();
});

test('a long poll with no data returns empty after max_wait_ms', async () => {
  const started = Date.now();
  const res = await client.request(1, 11, fetchBody('f', 1n, 300));
  assert.ok(Date.now() - started >= 290);
  const p = res.responses[0].partitions[0];
  assert.deepEqual([p.errorCode, p.highWatermark, p.records.length], [0, 1n, 0]);
});

test('min_bytes holds the response until enough bytes are there', async () => {
  const b = buildBatch([{ value: 'x'.repeat(100) }]);
  const other = await RawClient.connect(broker.port);
  const pending = other.request(1, 11, fetchBody('f', 1n, 5000, b.length * 2));
  await produce('f', b);
  await new Promise((r) => setTimeout(r, 100));
  await produce('f', buildBatch([{ value: 'y'.repeat(100) }]));
  const res = await pending;
  assert.equal(values(res.responses[0].partitions[0].records).length, 2);
  other.close();
});

test('fetching outside the log is OFFSET_OUT_OF_RANGE; the first batch is returned even above partition_max_bytes', async () => {
  const res = await client.request(1, 11, fetchBody('f', 99n, 0));
  assert.equal(res.responses[0].partitions[0].errorCode, KafkaError.OFFSET_OUT_OF_RANGE);
  const small = await client.request(1, 11, fetchBody('f', 1n, 0, 1, 10));
  assert.equal(values(small.responses[0].partitions[0].records).length, 1);
});

test('ListOffsets: earliest, latest, by timestamp, max timestamp', async () => {
  const t0 = BigInt(Date.now()) + 3_600_000n; // later than everything produced before
  await produce('f', buildBatch([{ value: 'a', timestamp: t0 }, { value: 'b', timestamp: t0 + 10n }, { value: 'c', timestamp: t0 + 5n }]));
  const ask = async (timestamp: bigint) => (await client.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'f', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] })).topics[0].partitions[0];
  assert.equal((await ask(-2n)).offset, 0n);
  assert.equal((await ask(-1n)).offset, 6n);
  assert.deepEqual([(await ask(t0 + 1n)).offset, (await ask(t0 + 1n)).timestamp], [4n, t0 + 10n]);
  assert.deepEqual([(await ask(-3n)).offset, (await ask(-3n)).timestamp], [4n, t0 + 10n]);
  assert.equal((await ask(t0 + 11n)).offset, -1n);
});

test('retention.bytes drops whole batches from the front and moves the log start offset', async () => {
  const batchSize = buildBatch([{ value: '0'.repeat(100) }]).length;
  for (let i = 0; i < 5; i++) await produce('r', buildBatch([{ value: `${i}`.repeat(100) }]));
  broker.cluster.applyRetention(Date.now());
  const earliest = await client.request(2, 1, { replicaId: -1, topics: [{ name: 'r', partitions: [{ partitionIndex: 0, timestamp: -2n }] }] });
  const start = earliest.topics[0].partitions[0].offset as bigint;
  const kept = Math.floor(300 / batchSize);
  assert.equal(kept, 1);
  assert.equal(start, BigInt(5 - kept));
  const res = await client.request(1, 11, fetchBody('r', 0n, 0));
  assert.equal(res.responses[0].partitions[0].errorCode, KafkaError.OFFSET_OUT_OF_RANGE);
  assert.equal(res.responses[0].partitions[0].logStartOffset, 4n);
});

test('OffsetForLeaderEpoch answers the log end for the current epoch', async () => {
  const res = await client.request(23, 3, { replicaId: -1, topics: [{ topic: 'f', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }] });
  assert.deepEqual(res.topics[0].partitions[0], { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 6n });
  const fenced = await client.request(23, 3, { replicaId: -1, topics: [{ topic: 'f', partitions: [{ partition: 0, currentLeaderEpoch: 5, leaderEpoch: 0 }] }] });
  assert.equal(fenced.topics[0].partitions[0].errorCode, KafkaError.UNKNOWN_LEADER_EPOCH);
});

test('Fetch v13+ addresses topics by id', async () => {
  const meta = await client.request(3, 12, { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'f' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const id = meta.topics[0].topicId;
  const body: any = fetchBody('f', 0n, 0);
  body.topics[0].topicId = id;
  const res = await client.request(1, 13, body);
  assert.equal(res.responses[0].topicId, id);
  assert.equal(values(res.responses[0].partitions[0].records)[0], 'hello');
});

test('retention.ms drops batches older than the retention, by record time and append time', async () => {
  await client.request(19, 4, { topics: [{ name: 'timed', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '60000' }] }], timeoutMs: 1000, validateOnly: false });
  await produce('timed', buildBatch([{ value: 'old', timestamp: BigInt(Date.now() - 120_000) }]));
  await produce('timed', buildBatch([{ value: 'new' }]));
  const node = broker.cluster;
  node.applyRetention(Date.now());
  assert.equal(node.topics.partition('timed', 0)!.log.logStartOffset, 0, 'appended just now: kept');
  node.applyRetention(Date.now() + 30_000);
  assert.equal(node.topics.partition('timed', 0)!.log.logStartOffset, 0);
  node.applyRetention(Date.now() + 61_000);
  assert.equal(node.topics.partition('timed', 0)!.log.logStartOffset, 2, 'record and append times past retention: both dropped');
  assert.equal(node.topics.partition('timed', 0)!.log.size, 0);
});

test('a fetch over consumer_byte_rate is answered at once with throttle_time_ms and no records', async () => {
  const c = await RawClient.connect(broker.port);
  const quota = (remove: boolean) => c.request(49, 1, { entries: [{ entity: [{ entityType: 'client-id', entityName: 'slow-reader' }], ops: [{ key: 'consumer_byte_rate', value: 2000, remove }] }], validateOnly: false });
  await quota(false);
  const start = (await c.request(2, 1, { replicaId: -1, topics: [{ name: 'f', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] })).topics[0].partitions[0].offset as bigint;
  const fetchAs = async (offset: bigint) => c.request(1, 11, fetchBody('f', offset, 0), 'slow-reader');
  // 2000 B/s: the window (at least 10 s) allows about 20 kB before the rate goes over.
  let offset = start;
  let fetched = 0;
  let throttled: any = null;
  for (let i = 0; i < 30 && !throttled; i++) {
    await produce('f', buildBatch([{ value: 'z'.repeat(4000) }]));
    const res = await fetchAs(offset);
    const records: Buffer = res.responses[0].partitions[0].records;
    if (res.throttleTimeMs > 0) throttled = res;
    else {
      assert.ok(records.length > 4000);
      fetched += records.length;
      offset += 1n;
    }
  }
  assert.ok(throttled, 'the client went over its quota');
  assert.equal(throttled.responses[0].partitions[0].records.length, 0, 'a throttled fetch carries no records');
  // Throttled exactly when one more batch would have put the bytes over quota × 10 s (the
  // minimum window): 2000 × 10 = 20,000 bytes.
  const batch = buildBatch([{ value: 'z'.repeat(4000) }]).length;
  assert.ok(fetched <= 20_000 && fetched + batch > 20_000, `fetched ${fetched} bytes before the throttle`);
  const started = Date.now();
  await c.request(18, 0, {});
  assert.ok(Date.now() - started >= throttled.throttleTimeMs - 20, 'the connection stayed muted for the throttle time');
  await quota(true);
  c.close();
});
