/**
 * Finding the rows PostgreSQL refuses. When a batch fails for a reason a retry cannot fix (a
 * value it will not hold, a row over a size limit, a constraint), the writer does not drop the
 * batch: it writes it again in halves, and halves of the halves that fail, until the failing
 * part is one series (its row in `series` is refused) or one sample. Those are refused and
 * reported; everything else is stored. Only errors about a row are isolated this way
 * (`isRowRefusal`): a connection failure met on the way is thrown and retried as in any outage,
 * and an error about the database as a whole (disk full, permissions) is thrown too, since
 * splitting cannot get around it. Past MAX_ATTEMPTS writes in one batch, a part that fails is
 * refused whole (the parts already split off still get their one try, so at most MAX_ATTEMPTS
 * plus one per halving, ~17 for 50,000 samples), so that many bad rows cannot turn one batch
 * into thousands of statements.
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

/** Writes one isolation may make before it refuses failing parts whole. */
export const MAX_ATTEMPTS = 256;

/**
 * True for an error about the rows written, which another part of the batch may not meet:
 * a data exception (SQLSTATE class 22), an integrity constraint (23), a program limit such as
 * an index row size (54), or an exception raised by a trigger (P0001).
 */
export function isRowRefusal(err: unknown): boolean {
  const state = sqlState(err) ?? '';
  return state.startsWith('22') || state.startsWith('23') || state.startsWith('54') || state === 'P0001';
}

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
  /** Stores samples whose refs all have ids, idempotently; returns the rows inserted. */
  copy(chunk: SampleChunk): Promise<number>;
  /** A series refused, with the error; its samples are then reported by `refusedSamples`. */
  refusedSeries(ref: SeriesRef, reason: RefusalReason, err: unknown): void;
  /** `n` samples of `ref` not stored, for `reason` (a series refused, or the samples themselves). */
  refusedSamples(ref: SeriesRef, reason: RefusalReason, n: number, err?: unknown): void;
  /** `inserted` rows stored (fewer than the samples written when a retry found some stored). */
  stored(inserted: number): void;
}

/** Refs, per series, that PostgreSQL refused in this process: their samples are not sent again. */
export const refusedSeries = new WeakMap<SeriesRef, RefusalReason>();

/**
 * One batch being isolated. It outlives a failed attempt: when a connection failure interrupts
 * the isolation, the retry goes on with the samples not yet stored or refused, so that nothing is
 * counted twice, and a batch given up counts only those as dropped.
 */
export class Isolation<B extends SampleChunk = SampleChunk> {
  /** 1 for each sample stored or refused. */
  private readonly done: Uint8Array;

  constructor(readonly batch: B) {
    this.done = new Uint8Array(batch.refs.length);
  }

  /** Samples neither stored nor refused yet. */
  get remaining(): number {
    let n = 0;
    for (const d of this.done) n += 1 - d;
    return n;
  }

  /** Writes what PostgreSQL accepts of the samples left (see the file comment). */
  async run(steps: IsolationSteps): Promise<void> {
    const budget = { left: MAX_ATTEMPTS };
    const { refs } = this.batch;
    const left = (): number[] => refs.flatMap((_, i) => (this.done[i] === 0 ? [i] : []));
    const unresolved = [...new Set(left().map((i) => refs[i]!).filter((ref) => ref.id === 0 && !refusedSeries.has(ref)))];
    await resolveSplitting(unresolved, steps, budget);
    const lost = new Map<SeriesRef, number>();
    const copy: number[] = [];
    for (const i of left()) {
      const ref = refs[i]!;
      if (!refusedSeries.has(ref)) copy.push(i);
      else {
        lost.set(ref, (lost.get(ref) ?? 0) + 1);
        this.done[i] = 1;
      }
    }
    for (const [ref, n] of lost) steps.refusedSamples(ref, refusedSeries.get(ref)!, n);
    await this.copySplitting(copy, steps, budget);
  }

  private async copySplitting(indices: readonly number[], steps: IsolationSteps, budget: { left: number }): Promise<void> {
    const n = indices.length;
    if (n === 0) return;
    try {
      budget.left--;
      steps.stored(await steps.copy(pick(this.batch, indices)));
      for (const i of indices) this.done[i] = 1;
    } catch (err) {
      if (isTransientDbError(err) || !isRowRefusal(err)) throw err;
      if (n === 1 || budget.left <= 0) {
        const reason = refusalReason(err);
        for (const i of indices) {
          steps.refusedSamples(this.batch.refs[i]!, reason, 1, n === 1 ? err : undefined);
          this.done[i] = 1;
        }
        return;
      }
      const half = Math.ceil(n / 2);
      await this.copySplitting(indices.slice(0, half), steps, budget);
      await this.copySplitting(indices.slice(half), steps, budget);
    }
  }
}

async function resolveSplitting(refs: readonly SeriesRef[], steps: IsolationSteps, budget: { left: number }): Promise<void> {
  if (refs.length === 0) return;
  try {
    budget.left--;
    await steps.resolve(refs);
  } catch (err) {
    if (isTransientDbError(err) || !isRowRefusal(err)) throw err;
    if (refs.length === 1 || budget.left <= 0) {
      const reason = refusalReason(err);
      for (const ref of refs) {
        refusedSeries.set(ref, reason);
        steps.refusedSeries(ref, reason, err);
      }
      return;
    }
    const half = Math.ceil(refs.length / 2);
    await resolveSplitting(refs.slice(0, half), steps, budget);
    await resolveSplitting(refs.slice(half), steps, budget);
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
