/**
 * The first step of `Writer.write`: checking a batch, finding each sample's series, dropping
 * samples a series already has (or that fall outside the stored time range) and feeding the
 * head, all before anything is queued for the database.
 */
import { SluiceError } from '../errors.ts';
import type { Head } from './head.ts';
import type { SampleChunk } from './queue.ts';
import type { SeriesCache, SeriesRef } from './series-cache.ts';
import type { Sample } from './types.ts';

/** The samples kept, as a chunk for the queue, and how many were dropped for which reason. */
export interface Intake {
  readonly chunk: SampleChunk;
  readonly outOfRange: number;
  readonly duplicate: number;
  readonly outOfOrder: number;
}

/**
 * Takes in `batch`: throws SLUICE_ERR_STORE_SAMPLE_INVALID (having changed nothing but the
 * series cache) if any sample is invalid; otherwise keeps each sample with `oldest <= ts <=
 * newest` that is newer than its series' newest, appends it to the head, and returns them.
 */
export function intake(batch: readonly Sample[], cache: SeriesCache, head: Head | undefined, oldest: number, newest: number): Intake {
  const n = batch.length;
  const refs = new Array<SeriesRef>(n);
  for (let i = 0; i < n; i++) {
    const sample = batch[i]!;
    refs[i] = cache.ref(sample.metric, sample.labels);
    if (typeof sample.ts !== 'number' || !Number.isFinite(sample.ts) || typeof sample.value !== 'number') {
      throw new SluiceError('SLUICE_ERR_STORE_SAMPLE_INVALID', `sample of metric ${sample.metric}: ts must be a finite number of ms and value a number`, {
        path: sample.metric,
      });
    }
  }
  const kept = new Array<SeriesRef>(n);
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  let k = 0;
  let outOfRange = 0;
  let duplicate = 0;
  let outOfOrder = 0;
  for (let i = 0; i < n; i++) {
    const ref = refs[i]!;
    const t = batch[i]!.ts;
    if (t < oldest || t > newest) outOfRange++;
    else if (t === ref.lastTs) duplicate++;
    else if (t < ref.lastTs) outOfOrder++;
    else {
      const v = batch[i]!.value;
      ref.lastTs = t;
      kept[k] = ref;
      ts[k] = t;
      values[k] = v;
      head?.append(ref, t, v);
      k++;
    }
  }
  kept.length = k;
  return { chunk: { refs: kept, ts: ts.subarray(0, k), values: values.subarray(0, k) }, outOfRange, duplicate, outOfOrder };
}
