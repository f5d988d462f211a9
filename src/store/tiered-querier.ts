/**
 * The Querier rules read through: the head for the recent window, PostgreSQL for the part of a
 * selection older than the head holds (a `[1d]` range, an `offset 6h`). Selections inside the
 * head's window, which is nearly all of them, never touch the database.
 *
 * The head holds at least `windowMs` back from now (it is warmed from the database at start and
 * trims only older samples), so a selection from `now - windowMs` on is answered from memory.
 * An older one is stitched per series: the database's samples before that point, the head's
 * from it on (the head has the newest ones, which may not be written yet).
 */
import type { Head } from './head.ts';
import type { PgQuerier } from './pg-querier.ts';
import { canonicalSeries } from './labels.ts';
import { METRIC_NAME_LABEL, type Matcher, type Querier, type SeriesData, type SeriesWindow, type WindowQuerier } from './types.ts';

export class TieredQuerier implements WindowQuerier {
  constructor(
    private readonly head: Head,
    /** With `series` (PgQuerier has it), series look-ups read no samples; without, they select them. */
    private readonly history: Querier & Partial<Pick<PgQuerier, 'series'>>,
    private readonly now: () => number,
  ) {}

  /** The oldest time the head is sure to hold. */
  private cut(): number {
    return this.now() - this.head.windowMs;
  }

  holds(from: number): boolean {
    return from >= this.cut();
  }

  selectWindows(matchers: readonly Matcher[], from: number, to: number): SeriesWindow[] {
    return this.head.selectWindows(matchers, from, to);
  }

  selectLatest(matchers: readonly Matcher[], from: number, to: number, times: number[]): { readonly metric: Readonly<Record<string, string>>; readonly value: number }[] {
    return this.head.selectLatest(matchers, from, to, times);
  }

  async select(matchers: readonly Matcher[], from: number, to: number): Promise<SeriesData[]> {
    const cut = this.cut();
    if (from >= cut) return this.head.selectSync(matchers, from, to);
    // Fails when the database does: a rule reading further back than the head then reports the
    // error rather than a result computed over part of its window.
    const older = await this.history.select(matchers, from, Math.min(to, cut - 1));
    if (to < cut) return older;
    const recent = this.head.selectSync(matchers, cut, to);
    const indexOf = new Map<string, number>();
    older.forEach((s, i) => indexOf.set(canonicalSeries(s.metric, s.labels), i));
    const out: SeriesData[] = [...older];
    for (const s of recent) {
      const i = indexOf.get(canonicalSeries(s.metric, s.labels));
      if (i === undefined) out.push(s);
      else out[i] = { metric: s.metric, labels: s.labels, ts: concat(older[i]!.ts, s.ts), values: concat(older[i]!.values, s.values) };
    }
    return out;
  }

  /**
   * The labels (with `__name__`) of every matching series with a sample in [from, to], each
   * once: from the head, and from PostgreSQL too when the range reaches back before the head's
   * window. No samples are read.
   */
  async series(matchers: readonly Matcher[], from: number, to: number): Promise<Readonly<Record<string, string>>[]> {
    const recent = this.head.seriesLabels(matchers, from, to);
    if (from >= this.cut()) return recent;
    const out: Readonly<Record<string, string>>[] = this.history.series !== undefined
      ? await this.history.series(matchers, from, to)
      : (await this.history.select(matchers, from, to)).map((s) => Object.freeze({ ...s.labels, [METRIC_NAME_LABEL]: s.metric }));
    const seen = new Set(out.map(seriesKey));
    for (const labels of recent) if (!seen.has(seriesKey(labels))) out.push(labels);
    return out;
  }
}

/** A label set's identity: its pairs in name order, with separators no name holds. */
function seriesKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels).sort().map((k) => `${k}\u0000${labels[k]!}`).join('\u0001');
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
