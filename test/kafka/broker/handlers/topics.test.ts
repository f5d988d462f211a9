import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../../../src/kafka/broker/index.ts';
import { KafkaError } from '../../../../src/kafka/protocol/error-codes.ts';
import { buildBatch } from '../../../../src/kafka/protocol/records.ts';
import { RawClient } from '../../../helpers/raw-client.ts';

let broker: Awaited<ReturnType<typeof startBroker>>;
let client: RawClient;

before(async () => {
  broker = await startBroker({ port: 0, topics: [{ name: 'existing', partitions: 2 }] });
  client = await RawClient.connect(broker.port);
});
after(async () => {
  client.close();
  await broker.stop();
});

const create = (topics: object[], validateOnly = false) => client.request(19, 7, { topics, timeoutMs: 1000, validateOnly });
const topic = (name: string, numPartitions = 3, extra: object = {}) => ({ name, numPartitions, replicationFactor: -1, assignments: [], configs: [], ...extra });

test('CreateTopics: created with id and effective configs; each bad entry gets its own error', async () => {
  const res = await create([
    topic('orders', 4, { configs: [{ name: 'retention.ms', value: '1000' }] }),
    topic('existing'),
    topic('bad/name'),
    topic('zero', 0),
    topic('rf3', 1, { replicationFactor: 3 }),
    topic('badcfg', 1, { configs: [{ name: 'retention.ms', value: 'soon' }] }),
    topic('unknowncfg', 1, { configs: [{ name: 'no.such.config', value: '1' }] }),
  ]);
  const byName = Object.fromEntries(res.topics.map((t: any) => [t.name, t]));
  assert.equal(byName.orders.errorCode, 0);
  assert.equal(byName.orders.numPartitions, 4);
  assert.notEqual(byName.orders.topicId, '00000000-0000-0000-0000-000000000000');
  assert.deepEqual(byName.orders.configs.find((c: any) => c.name === 'retention.ms'), { name: 'retention.ms', value: '1000', readOnly: false, configSource: 1, isSensitive: false });
  assert.equal(byName.existing.errorCode, KafkaError.TOPIC_ALREADY_EXISTS);
  assert.equal(byName['bad/name'].errorCode, KafkaError.INVALID_TOPIC_EXCEPTION);
  assert.equal(byName.zero.errorCode, KafkaError.INVALID_PARTITIONS);
  assert.equal(byName.rf3.errorCode, KafkaError.INVALID_REPLICATION_FACTOR);
  assert.equal(byName.badcfg.errorCode, KafkaError.INVALID_CONFIG);
  assert.equal(byName.badcfg.errorMessage, 'Invalid value soon for configuration retention.ms: Not a number of type LONG');
  assert.equal(byName.unknowncfg.errorCode, KafkaError.INVALID_CONFIG);
  const meta = await client.request(3, 1, { topics: null });
  assert.deepEqual(meta.topics.map((t: any) => t.name).sort(), ['existing', 'orders']);
});

test('CreateTopics validate_only creates nothing', async () => {
  const res = await create([topic('dry', 2)], true);
  assert.deepEqual([res.topics[0].errorCode, res.topics[0].numPartitions], [0, 2]);
  const meta = await client.request(3, 4, { topics: [{ name: 'dry' }], allowAutoTopicCreation: false });
  assert.equal(meta.topics[0].errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
});

test('CreatePartitions grows a topic and refuses to shrink it', async () => {
  const res = await client.request(37, 3, { topics: [{ name: 'orders', count: 6, assignments: null }, { name: 'existing', count: 1, assignments: null }, { name: 'ghost', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
  assert.deepEqual(res.results.map((r: any) => [r.name, r.errorCode]), [['orders', 0], ['existing', KafkaError.INVALID_PARTITIONS], ['ghost', KafkaError.UNKNOWN_TOPIC_OR_PARTITION]]);
  const meta = await client.request(3, 9, { topics: [{ name: 'orders' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.equal(meta.topics[0].partitions.length, 6);
});

test('DescribeConfigs and IncrementalAlterConfigs: SET, DELETE, APPEND; a bad change applies nothing', async () => {
  const alter = (configs: object[], validateOnly = false) => client.request(44, 1, { resources: [{ resourceType: 2, resourceName: 'orders', configs }], validateOnly });
  assert.equal((await alter([{ name: 'retention.bytes', configOperation: 0, value: '5000' }, { name: 'retention.ms', configOperation: 1, value: null }])).responses[0].errorCode, 0);
  assert.equal((await alter([{ name: 'leader.replication.throttled.replicas', configOperation: 2, value: '0:0,1:0' }])).responses[0].errorCode, 0);
  const bad = await alter([{ name: 'retention.bytes', configOperation: 0, value: '1' }, { name: 'cleanup.policy', configOperation: 0, value: 'shred' }]);
  assert.equal(bad.responses[0].errorCode, KafkaError.INVALID_CONFIG);
  const described = await client.request(32, 4, { resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms', 'retention.bytes', 'leader.replication.throttled.replicas'] }], includeSynonyms: false, includeDocumentation: false });
  assert.deepEqual(described.results[0].configs.map((c: any) => [c.name, c.value, c.configSource]), [
    ['retention.ms', '604800000', 5],
    ['retention.bytes', '5000', 1],
    ['leader.replication.throttled.replicas', '0:0,1:0', 1],
  ]);
  const broker0 = await client.request(32, 1, { resources: [{ resourceType: 4, resourceName: '0', configurationKeys: ['num.partitions', 'auto.create.topics.enable'] }], includeSynonyms: false });
  assert.deepEqual(broker0.results[0].configs.map((c: any) => [c.name, c.value]), [['auto.create.topics.enable', 'false'], ['num.partitions', '1']]);
});

test('DeleteTopics by name; unknown names get UNKNOWN_TOPIC_OR_PARTITION', async () => {
  await create([topic('doomed', 1)]);
  const res = await client.request(20, 4, { topicNames: ['doomed', 'ghost'], timeoutMs: 1000 });
  assert.deepEqual(res.responses.map((r: any) => [r.name, r.errorCode]), [['doomed', 0], ['ghost', KafkaError.UNKNOWN_TOPIC_OR_PARTITION]]);
});

test('DescribeLogDirs reports partition sizes', async () => {
  const records = buildBatch([{ value: 'sized' }]);
  await client.request(0, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'existing', partitionData: [{ index: 1, records }] }] });
  const res = await client.request(35, 4, { topics: [{ topic: 'existing', partitions: [0, 1] }] });
  assert.deepEqual(res.results[0].topics, [{ name: 'existing', partitions: [
    { partitionIndex: 0, partitionSize: 0n, offsetLag: 0n, isFutureKey: false },
    { partitionIndex: 1, partitionSize: BigInt(records.length), offsetLag: 0n, isFutureKey: false },
  ] }]);
});

test('AlterClientQuotas then DescribeClientQuotas, with filters; invalid keys are refused whole', async () => {
  const alter = (entries: object[]) => client.request(49, 1, { entries, validateOnly: false });
  const user = (n: string | null) => ({ entityType: 'user', entityName: n });
  const cid = (n: string | null) => ({ entityType: 'client-id', entityName: n });
  const ok = await alter([
    { entity: [user('alice')], ops: [{ key: 'producer_byte_rate', value: 1048576, remove: false }] },
    { entity: [user('alice'), cid('app')], ops: [{ key: 'consumer_byte_rate', value: 2000, remove: false }] },
    { entity: [user(null)], ops: [{ key: 'request_percentage', value: 50, remove: false }] },
  ]);
  assert.deepEqual(ok.entries.map((e: any) => e.errorCode), [0, 0, 0]);
  const bad = await alter([{ entity: [user('bob')], ops: [{ key: 'producer_byte_rate', value: 10, remove: false }, { key: 'bogus', value: 1, remove: false }] }]);
  assert.equal(bad.entries[0].errorCode, KafkaError.INVALID_REQUEST);
  const describe = (components: object[], strict = false) => client.request(48, 1, { components, strict });
  const alice = await describe([{ entityType: 'user', matchType: 0, match: 'alice' }]);
  assert.deepEqual(alice.entries.map((e: any) => [e.entity.length, e.values.map((v: any) => [v.key, v.value])]), [[1, [['producer_byte_rate', 1048576]]], [2, [['consumer_byte_rate', 2000]]]]);
  const strict = await describe([{ entityType: 'user', matchType: 0, match: 'alice' }], true);
  assert.equal(strict.entries.length, 1);
  const defaults = await describe([{ entityType: 'user', matchType: 1, match: null }]);
  assert.deepEqual(defaults.entries[0].entity, [{ entityType: 'user', entityName: null }]);
  const bob = await describe([{ entityType: 'user', matchType: 0, match: 'bob' }]);
  assert.deepEqual(bob.entries, []);
  await alter([{ entity: [user('alice')], ops: [{ key: 'producer_byte_rate', value: 0, remove: true }] }]);
  assert.equal((await describe([{ entityType: 'user', matchType: 0, match: 'alice' }], true)).entries.length, 0);
});

test('DescribeCluster lists this broker as controller', async () => {
  const res = await client.request(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
  assert.deepEqual([res.clusterId, res.controllerId, res.brokers], ['sluice-bundled-cluster', 0, [{ brokerId: 0, host: '127.0.0.1', port: broker.port, rack: null }]]);
});
