/**
 * The timestamp of the record at an offset, from the record batches a Fetch at that offset
 * returned (bytes only, no I/O). A batch's attributes say which time its records carry:
 * CreateTime (bit 3 clear), set by the producer, each record's being the batch's first timestamp
 * plus the record's delta; or LogAppendTime (bit 3 set), set by the broker when it appended the
 * batch, the same for every record and written as the batch's max timestamp.
 *
 * The record wanted is the first data record at or after the offset: a consumer positioned
 * there reads it next. Control batches (transaction markers) hold no data and are passed over,
 * and so are offsets removed by compaction. A timestamp of -1 (records written without one,
 * message format 0) is reported as none.
 */

/** Attribute bit of a batch whose records carry LogAppendTime. */
const LOG_APPEND_TIME = 0x08;
/** Attribute bit of a control batch (transaction markers). */
const CONTROL_BATCH = 0x20;

/** What this reads of a record batch (@platformatic/kafka's RecordsBatch has these fields). */
export interface TimedBatch {
  readonly firstOffset: bigint;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly records: readonly { readonly offsetDelta: number; readonly timestampDelta: bigint }[];
}

/**
 * What the batches tell of the record at or after an offset:
 * - `found`: the record at `offset` (at or after the one asked for), produced at `timestampMs`
 *   (null when the record has no timestamp), of `type`;
 * - `next`: the batches end before any data record at or after the offset (only markers, or
 *   records below it); read again from `offset`;
 * - `empty`: no batch at all.
 */
export type RecordTimeFound =
  | { readonly kind: 'found'; readonly offset: number; readonly timestampMs: number | null; readonly type: 'create' | 'log-append' }
  | { readonly kind: 'next'; readonly offset: number }
  | { readonly kind: 'empty' };

/** The timestamp of the first data record at or after `offset` in `batches` (in log order). */
export function recordTimeAt(batches: readonly TimedBatch[], offset: number): RecordTimeFound {
  if (batches.length === 0) return { kind: 'empty' };
  const wanted = BigInt(offset);
  let next = wanted;
  for (const batch of batches) {
    const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    if ((batch.attributes & CONTROL_BATCH) === 0 && end > wanted) {
      for (const r of batch.records) {
        const at = batch.firstOffset + BigInt(r.offsetDelta);
        if (at < wanted) continue;
        const logAppend = (batch.attributes & LOG_APPEND_TIME) !== 0;
        const ts = logAppend ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta;
        return { kind: 'found', offset: Number(at), timestampMs: ts < 0n ? null : Number(ts), type: logAppend ? 'log-append' : 'create' };
      }
    }
    if (end > next) next = end;
  }
  return { kind: 'next', offset: Number(next) };
}
