/**
 * What `/federate` serves: the newest sample within the lookback of every series matching any of
 * the selectors, as Prometheus's federation picks it (a series matched by several selectors
 * once; a series whose newest sample is a staleness marker not at all).
 */
import { isStaleNaN } from '../../rules/promql/index.ts';
import { isWindowQuerier, METRIC_NAME_LABEL, type Matcher, type Querier } from '../../store/types.ts';
import type { ExposedSample } from './exposition.ts';

/** Prometheus's default lookback (`--query.lookback-delta`): 5 min. */
export const DEFAULT_LOOKBACK_MS = 5 * 60_000;

/** The newest sample in [now − lookbackMs, now] of every series matching one of `selectors`. */
export async function latestSamples(querier: Querier, selectors: readonly (readonly Matcher[])[], now: number, lookbackMs = DEFAULT_LOOKBACK_MS): Promise<ExposedSample[]> {
  const from = now - lookbackMs;
  const out: ExposedSample[] = [];
  if (isWindowQuerier(querier) && querier.holds(from)) {
    // The head hands out one labels object per series: a series matched twice is the same object.
    const seen = selectors.length > 1 ? new Set<object>() : undefined;
    for (const matchers of selectors) {
      const times: number[] = [];
      const found = querier.selectLatest(matchers, from, now, times);
      for (let i = 0; i < found.length; i++) {
        const { metric, value } = found[i]!;
        if (seen !== undefined) {
          if (seen.has(metric)) continue;
          seen.add(metric);
        }
        if (!isStaleNaN(value)) out.push({ metric, ts: times[i]!, value });
      }
    }
    return out;
  }
  const seen = new Set<string>();
  for (const matchers of selectors) {
    for (const s of await querier.select(matchers, from, now)) {
      const last = s.ts.length - 1;
      if (last < 0) continue;
      const metric = { ...s.labels, [METRIC_NAME_LABEL]: s.metric };
      const key = JSON.stringify([s.metric, s.labels]);
      if (seen.has(key)) continue;
      seen.add(key);
      if (!isStaleNaN(s.values[last]!)) out.push({ metric, ts: s.ts[last]!, value: s.values[last]! });
    }
  }
  return out;
}
