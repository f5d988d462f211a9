// A connection handles one request at a time, as Kafka's network layer does: a request a client
// pipelines behind a throttled produce waits in the socket until the throttle's mute is over, so
// that pipelining does not carry a client through its quota.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCluster } from '../../../src/kafka/broker/index.ts';
import { decodeResponse, encodeRequest } from '../../../src/kafka/protocol/frames.ts';
import { buildBatch } from '../../../src/kafka/protocol/records.ts';
import { RawClient } from '../../helpers/raw-client.ts';

test('produce requests pipelined behind a throttled one are not handled until the mute ends', async () => {
  // With a network capacity a request is answered when its bytes have crossed the broker's
  // network, later than it is read: what a connection reads meanwhile is the question.
  const c = await startCluster({ port: 0, capacity: { networkInBytesPerSec: 1_000_000, requestHandlers: 4 }, topics: [{ name: 'q', partitions: 1 }] });
  c.cluster.quotas.alter([{ entityType: 'client-id', entityName: 'piper' }], [{ key: 'producer_byte_rate', value: 1000, remove: false }]);
  const piper = await RawClient.connect(c.port);
  const other = await RawClient.connect(c.port);
  try {
    const produce = (corr: number) => encodeRequest(0, 7, corr, 'piper', { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: 'q', partitionData: [{ index: 0, records: buildBatch([{ value: Buffer.alloc(50_000, corr) }]) }] }] });
    // Four written at once: the broker has them all (200 kB) before it answers the first, which
    // takes 50 ms to cross its 1 MB/s network.
    piper.write(Buffer.concat([produce(1), produce(2), produce(3), produce(4)]));
    const first = decodeResponse(0, 7, await piper.nextFrame());
    assert.equal(first.correlationId, 1);
    assert.equal(first.body.responses[0].partitionResponses[0].errorCode, 0);
    // ~50 kB over a 1,000 B/s quota in a 10 s window: about 40 s of throttle.
    assert.ok(first.body.throttleTimeMs > 5000, `throttle ${first.body.throttleTimeMs} ms`);
    // The other batches are not in the log: they were not read while the first was handled, nor since.
    const latest = await other.request(2, 1, { replicaId: -1, topics: [{ name: 'q', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    assert.equal(latest.topics[0].partitions[0].offset, 1n);
    await assert.rejects(piper.nextFrame(500), { message: 'no response frame in time' });
    // Another client's requests on its own connection are not held.
    const again = await other.request(2, 1, { replicaId: -1, topics: [{ name: 'q', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    assert.equal(again.topics[0].partitions[0].offset, 1n);
  } finally {
    piper.close();
    other.close();
    await c.stop();
  }
});
