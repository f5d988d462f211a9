/**
 * The input series the expression cases run over, in promtool's input_series notation (one
 * value a minute from t = 0), so that the same cases can be run by `promtool test rules`.
 */
import { SeriesSet } from '../../../src/rules/promql/series-set.ts';
import { STALE_NAN } from '../../../src/rules/promql/stale.ts';
import { expandSeriesValues, parseSeriesSelector } from '../../../src/rules/test-format/notation.ts';

/** Time between two values of an input series, as in the promtool test file. */
export const INTERVAL_MS = 60_000;

/** [series, values] pairs. promtool 2.42 reads `NaNx10` as a name, so NaN and Inf are written out. */
export const INPUT_SERIES: readonly (readonly [string, string])[] = [
  ['http_requests_total{job="api",instance="a"}', '0+10x10'],
  ['http_requests_total{job="api",instance="b"}', '0+20x4 0+20x5'],
  ['http_requests_total{job="web",instance="a"}', '5+5x10'],
  ['gauge{job="api",instance="a"}', '1 2 3 4 5 4 3 2 1 0 -1'],
  ['gauge{job="api",instance="b"}', '10x10'],
  ['stale_metric{job="api"}', '1 2 3 stale _ _ 7'],
  ['gap_metric{job="x"}', '1 _x7 9'],
  ['nan_metric{v="nan"}', 'NaN NaN NaN NaN NaN NaN NaN NaN NaN NaN NaN'],
  ['nan_metric{v="inf"}', 'Inf Inf Inf Inf Inf Inf Inf Inf Inf Inf Inf'],
  ['nan_metric{v="ninf"}', '-Inf -Inf -Inf -Inf -Inf -Inf -Inf -Inf -Inf -Inf -Inf'],
  ['nan_metric{v="one"}', '1x10'],
  ['nan_changes', 'NaN 1 NaN NaN 2 2'],
  ['hist_bucket{job="api",le="0.1"}', '0+1x10'],
  ['hist_bucket{job="api",le="0.5"}', '0+5x10'],
  ['hist_bucket{job="api",le="1"}', '0+8x10'],
  ['hist_bucket{job="api",le="+Inf"}', '0+10x10'],
  ['nonmono_bucket{le="1"}', '10x5'],
  ['nonmono_bucket{le="2"}', '8x5'],
  ['nonmono_bucket{le="+Inf"}', '12x5'],
  ['noinf_bucket{le="1"}', '5x5'],
  ['noinf_bucket{le="2"}', '10x5'],
  ['neg_bucket{le="-1"}', '5x5'],
  ['neg_bucket{le="0"}', '8x5'],
  ['neg_bucket{le="+Inf"}', '10x5'],
  ['ties{id="1"}', '5'],
  ['ties{id="2"}', '5'],
  ['ties{id="3"}', '3'],
  ['ties{id="4"}', '5'],
  ['label_src{src="abc-123",instance="host:9090"}', '1x5'],
  ['one{job="api"}', '1x10'],
  ['info{job="api",version="1.2"}', '1x10'],
  ['dup{job="api",instance="a"}', '1x10'],
  ['dup{job="api",instance="b"}', '2x10'],
  // Values regexes treat differently under Go's and JavaScript's rules: newline, case, letters beyond ASCII.
  ['regex_src{v="x\\ny"}', '1x5'],
  ['regex_src{v="XY"}', '2x5'],
  ['regex_src{v="é"}', '3x5'],
  ['regex_src{v="ab"}', '4x5'],
  ['regex_src{v="Ωmega"}', '5x5'],
];

/** The input series as a Querier. */
export function inputSeriesSet(): SeriesSet {
  const set = new SeriesSet();
  for (const [series, values] of INPUT_SERIES) {
    const labels = parseSeriesSelector(series);
    expandSeriesValues(values, series).forEach((v, i) => {
      if (v !== undefined) set.add(labels, i * INTERVAL_MS, v === 'stale' ? STALE_NAN : v);
    });
  }
  return set;
}
