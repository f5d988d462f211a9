/**
 * The timestamp of the record at an offset, from fetched batches: CreateTime per record,
 * LogAppendTime per batch, markers and compaction gaps passed over, records without a timestamp.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordTimeAt, type TimedBatch } from '../../src/kafka/record-time.ts';

/** A batch at `first` whose records have the given offset and timestamp deltas. */
function batch(first: number, firstTimestamp: number, records: Array<[offsetDelta: number, timestampDelta: number]>, attributes = 0, maxTimestamp = firstTimestamp + Math.max(0, ...records.map((r) => r[1]))): TimedBatch {
  return {
    firstOffset: BigInt(first),
    attributes,
    lastOffsetDelta: records.length === 0 ? 0 : Math.max(...records.map((r) => r[0])),
    firstTimestamp: BigInt(firstTimestamp),
    maxTimestamp: BigInt(maxTimestamp),
    records: records.map(([offsetDelta, timestampDelta]) => ({ offsetDelta, timestampDelta: BigInt(timestampDelta) })),
  };
}

describe('recordTimeAt', () => {
  test('CreateTime: the batch first timestamp plus the delta of the record at the offset', () => {
    // Offsets 100..103 produced at 5000, 5007, 5020, 5021 ms; the fetch at 102 starts with the batch holding it.
    const batches = [batch(100, 5000, [[0, 0], [1, 7], [2, 20], [3, 21]])];
    assert.deepEqual(recordTimeAt(batches, 102), { kind: 'found', offset: 102, timestampMs: 5020, type: 'create' });
    assert.deepEqual(recordTimeAt(batches, 100), { kind: 'found', offset: 100, timestampMs: 5000, type: 'create' });
  });

  test('LogAppendTime: every record of the batch carries the batch max timestamp', () => {
    const batches = [batch(100, 5000, [[0, 0], [1, 7], [2, 20]], 0x08, 9000)];
    assert.deepEqual(recordTimeAt(batches, 101), { kind: 'found', offset: 101, timestampMs: 9000, type: 'log-append' });
  });

  test('a compaction gap: the first record after the offset', () => {
    // Offsets 101 and 102 were compacted away.
    const batches = [batch(100, 5000, [[0, 0], [3, 30]])];
    assert.deepEqual(recordTimeAt(batches, 101), { kind: 'found', offset: 103, timestampMs: 5030, type: 'create' });
  });

  test('a transaction marker at the offset is passed over to the next data batch', () => {
    const marker = batch(110, 6000, [[0, 0]], 0x20);
    const data = batch(111, 6100, [[0, 0], [1, 5]]);
    assert.deepEqual(recordTimeAt([marker, data], 110), { kind: 'found', offset: 111, timestampMs: 6100, type: 'create' });
    // Only the marker came back (one batch per fetch): read again past it.
    assert.deepEqual(recordTimeAt([marker], 110), { kind: 'next', offset: 111 });
  });

  test('records without a timestamp (-1) have none; no batch at all is empty', () => {
    assert.deepEqual(recordTimeAt([batch(0, -1, [[0, 0], [1, 0]])], 1), { kind: 'found', offset: 1, timestampMs: null, type: 'create' });
    assert.deepEqual(recordTimeAt([], 5), { kind: 'empty' });
  });
});
