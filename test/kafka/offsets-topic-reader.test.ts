/**
 * The `__consumer_offsets` reader against a bundled 3-broker cluster over real sockets: it waits
 * for the topic to exist, then hands on every commit and tombstone the coordinator writes, with
 * the commit's own timestamp and its place in the log.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { startCluster } from '../../src/kafka/broker/index.ts';
import { offsetsPartitionFor } from '../../src/kafka/broker/offsets-log.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { OffsetsTopicReader } from '../../src/kafka/offsets-topic-reader.ts';
import type { OffsetsTopicRecord } from '../../src/kafka/offsets-topic.ts';
import { waitFor } from '../helpers/broker.ts';

test('reads every commit and tombstone once the topic exists, with commit times and positions', async () => {
  const running = await startCluster({ brokers: 3, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), topics: [{ name: 'orders', partitions: 2, replicationFactor: 3 }] });
  const bootstrap = running.bootstrap.split(',');
  const admin = new KafkaAdmin({ bootstrap });
  const kafka = new Kafka({ brokers: bootstrap, clientId: 'reader-test', logLevel: logLevel.NOTHING });
  const kadmin = kafka.admin();
  const seen: Array<[OffsetsTopicRecord, { partition: number; offset: number }]> = [];
  const reader = new OffsetsTopicReader({ bootstrap, maxWaitMs: 100, retryMs: 100, onRecord: (r, at) => seen.push([r, at]) });
  try {
    await admin.metadata();
    reader.start();
    // No group has committed yet: the bundled broker creates the topic on the first commit.
    await waitFor(() => reader.state.error !== undefined, 5000, 'the reader to fail a round');
    assert.equal(reader.state.error, 'the cluster has no __consumer_offsets topic yet');
    assert.equal(reader.state.rounds, 0);

    const before = Date.now();
    assert.deepEqual((await admin.commitOffsets('billing', [{ topic: 'orders', partition: 1, offset: 40 }])).errors, []);
    assert.deepEqual((await admin.commitOffsets('billing', [{ topic: 'orders', partition: 1, offset: 55 }])).errors, []);
    const after = Date.now();
    await waitFor(() => seen.length === 2 && reader.state.error === undefined, 5000, 'two commits read in a round without error');
    const at = offsetsPartitionFor('billing');
    assert.deepEqual(seen.map(([r, pos]) => [r.kind === 'offset' ? { ...r, commitTimestampMs: 0 } : r, pos]), [
      [{ kind: 'offset', group: 'billing', topic: 'orders', partition: 1, offset: 40, commitTimestampMs: 0 }, { partition: at, offset: 0 }],
      [{ kind: 'offset', group: 'billing', topic: 'orders', partition: 1, offset: 55, commitTimestampMs: 0 }, { partition: at, offset: 1 }],
    ]);
    for (const [r] of seen) {
      const ts = (r as { commitTimestampMs: number }).commitTimestampMs;
      assert.ok(ts >= before && ts <= after, `commit time ${ts} within ${before}..${after}`);
    }
    assert.ok(reader.state.lastReadMs !== undefined && reader.state.lastReadMs >= before);

    // Deleting the (empty) group writes a tombstone for its offset.
    await kadmin.connect();
    await kadmin.deleteGroups(['billing']);
    await waitFor(() => seen.length === 3, 5000, 'the tombstone read');
    assert.deepEqual(seen[2], [{ kind: 'offset-deleted', group: 'billing', topic: 'orders', partition: 1 }, { partition: at, offset: 2 }]);
    assert.deepEqual({ records: reader.state.records, invalid: reader.state.invalid }, { records: 3, invalid: 0 });
  } finally {
    await reader.stop();
    await kadmin.disconnect().catch(() => undefined);
    await admin.close();
    await running.stop();
  }
});
