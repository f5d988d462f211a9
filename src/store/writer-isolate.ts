/**
 * Finding the rows PostgreSQL refuses. When a batch fails for a reason a retry cannot fix (a
 * value it will not hold, a row over a size limit, a constraint), the writer does not drop the
 * batch: it writes it again in halves, and halves of the halves that fail, until the failing
 * part is one series (its row in `series` is refused) or one sample. Those are refused and
 * reported; everything else is stored. A connection failure met on the way is not a refusal: it
 * is thrown, and the writer retries as in any outage.
 */
import { isTransientDbError, sqlState } from './sql.ts';
import type { SampleChunk } from './queue.ts';
import type { SeriesRef } from './series-cache.ts';

/**
 * Why PostgreSQL refused a row, the `reason` of `sluice_store_samples_refused_total`:
 * - `invalid_value`: a value it cannot hold (SQLSTATE class 22, data exception);
 * - `too_large`: over one of its limits, e.g. an index row size (class 54);
 * - `constraint`: a constraint or trigger refused it (class 23);
 * - `other`: any other error that a retry cannot fix.
 */
export type RefusalReason = 'invalid_value' | 'too_large' | 'constraint' | 'other';

/** Every refusal reason, for reports and zero-initialised counters. */
export const REFUSAL_REASONS: readonly RefusalReason[] = ['invalid_value', 'too_large', 'constraint', 'other'];

/** The refusal reason of a database error. */
export function refusalReason(err: unknown): RefusalReason {
  const state = sqlState(err) ?? '';
  if (state.startsWith('22')) return 'invalid_value';
  if (state.startsWith('54')) return 'too_large';
  if (state.startsWith('23')) return 'constraint';
  return 'other';
}

/** What the isolation needs from the writer. */
export interface IsolationSteps {
  /** Gives series ids to refs without one (SeriesCache.resolve). */
  resolve(refs: readonly SeriesRef[]): Promise<void>;
  /** Stores samples whose refs all have ids, idempotently. */
  copy(chunk: SampleChunk): Promise<void>;
  /** A series refused, with the error; its samples are then counted by `refusedSamples`. */
  refusedSeries(ref: SeriesRef, reason: RefusalReason, err: unknown): void;
  /** `n` samples of `ref` not stored, for `reason` (a series refused, or the samples themselves). */
  refusedSamples(ref: SeriesRef, reason: RefusalReason, n: number, err?: unknown): void;
}

/** Refs, per series, that PostgreSQL refused in this process: their samples are not sent again. */
export const refusedSeries = new WeakMap<SeriesRef, RefusalReason>();

/** Writes what PostgreSQL accepts of `chunk` (see the file comment); returns the samples stored. */
export async function writeIsolating(chunk: SampleChunk, steps: IsolationSteps): Promise<number> {
  const unresolved = [...new Set(chunk.refs.filter((ref) => ref.id === 0 && !refusedSeries.has(ref)))];
  await resolveSplitting(unresolved, steps);
  const keep: number[] = [];
  const lost = new Map<SeriesRef, number>();
  chunk.refs.forEach((ref, i) => {
    if (refusedSeries.has(ref)) lost.set(ref, (lost.get(ref) ?? 0) + 1);
    else keep.push(i);
  });
  for (const [ref, n] of lost) steps.refusedSamples(ref, refusedSeries.get(ref)!, n);
  return copySplitting(pick(chunk, keep), steps);
}

async function resolveSplitting(refs: readonly SeriesRef[], steps: IsolationSteps): Promise<void> {
  if (refs.length === 0) return;
  try {
    await steps.resolve(refs);
  } catch (err) {
    if (isTransientDbError(err)) throw err;
    if (refs.length === 1) {
      const reason = refusalReason(err);
      refusedSeries.set(refs[0]!, reason);
      steps.refusedSeries(refs[0]!, reason, err);
      return;
    }
    const half = Math.ceil(refs.length / 2);
    await resolveSplitting(refs.slice(0, half), steps);
    await resolveSplitting(refs.slice(half), steps);
  }
}

async function copySplitting(chunk: SampleChunk, steps: IsolationSteps): Promise<number> {
  const n = chunk.refs.length;
  if (n === 0) return 0;
  try {
    await steps.copy(chunk);
    return n;
  } catch (err) {
    if (isTransientDbError(err)) throw err;
    if (n === 1) {
      steps.refusedSamples(chunk.refs[0]!, refusalReason(err), 1, err);
      return 0;
    }
    const half = Math.ceil(n / 2);
    const all = Array.from({ length: n }, (_, i) => i);
    return (await copySplitting(pick(chunk, all.slice(0, half)), steps)) + (await copySplitting(pick(chunk, all.slice(half)), steps));
  }
}

/** The samples of `chunk` at `indices`. */
function pick(chunk: SampleChunk, indices: readonly number[]): SampleChunk {
  return {
    refs: indices.map((i) => chunk.refs[i]!),
    ts: Float64Array.from(indices, (i) => chunk.ts[i]!),
    values: Float64Array.from(indices, (i) => chunk.values[i]!),
  };
}
