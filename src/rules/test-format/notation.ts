/**
 * promtool's notation for input series in rule unit tests
 * (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/#series):
 * values such as `1+2x3` (1 3 5 7), `1x3` (1 1 1 1), `_` (no sample), `_x3` (three none),
 * `stale`, `Inf`, `NaN`; and series such as `http_requests{job="a"}`.
 */
import { SluiceError } from '../../errors.ts';
import { parseExpr } from '../promql/parse.ts';

// No hexadecimal: promtool reads `0x3` as "0, three more times", not as 3.
const UNSIGNED = String.raw`(?:inf|nan|(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)`;
const NUM = `[+-]?${UNSIGNED}`;
const SINGLE = new RegExp(`^(${NUM})$`, 'i');
const REPEAT = new RegExp(`^(${NUM})x(\\d+)$`, 'i');
const SERIES = new RegExp(`^(${NUM})([+-])(${UNSIGNED})x(\\d+)$`, 'i');
const BLANKS = /^_x(\d+)$/;

/** One expanded value: a number, `undefined` for no sample, `'stale'` for a staleness marker. */
export type SeriesValue = number | undefined | 'stale';

/**
 * Expands promtool's value notation into one entry per interval. Throws
 * SLUICE_ERR_RULES_TEST_FILE naming `where` and the bad token.
 */
export function expandSeriesValues(text: string, where = 'values'): SeriesValue[] {
  const out: SeriesValue[] = [];
  for (const token of text.trim().split(/\s+/)) {
    if (token === '') continue;
    if (token === '_') {
      out.push(undefined);
      continue;
    }
    if (token === 'stale') {
      out.push('stale');
      continue;
    }
    let m = BLANKS.exec(token);
    if (m !== null) {
      for (let i = 0; i < Number(m[1]); i++) out.push(undefined);
      continue;
    }
    m = SINGLE.exec(token);
    if (m !== null) {
      out.push(number(m[1]!));
      continue;
    }
    m = REPEAT.exec(token);
    if (m !== null) {
      const v = number(m[1]!);
      for (let i = 0; i <= Number(m[2]); i++) out.push(v);
      continue;
    }
    m = SERIES.exec(token);
    if (m !== null) {
      // Each value adds the increment to the previous one, as promtool does.
      let v = number(m[1]!);
      const step = (m[2] === '-' ? -1 : 1) * number(m[3]!);
      for (let i = 0; i <= Number(m[4]); i++) {
        out.push(v);
        v += step;
      }
      continue;
    }
    throw new SluiceError('SLUICE_ERR_RULES_TEST_FILE', `${where}: invalid value ${JSON.stringify(token)} (expected a number, "_", "stale", "AxN" or "A+BxN")`, { path: where });
  }
  return out;
}

function number(text: string): number {
  const lower = text.toLowerCase();
  const sign = lower.startsWith('-') ? -1 : 1;
  const body = lower.replace(/^[+-]/, '');
  if (body === 'inf') return sign * Infinity;
  if (body === 'nan') return NaN;
  return sign * Number(body);
}

/**
 * The labels of a series written as a selector, `name{label="value", …}`, `__name__` included.
 * Throws SLUICE_ERR_RULES_TEST_FILE naming `where` when it is not one.
 */
export function parseSeriesSelector(text: string, where = 'series'): Record<string, string> {
  let expr;
  try {
    expr = parseExpr(text);
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_RULES_TEST_FILE', `${where}: invalid series ${JSON.stringify(text)}: ${(err as Error).message}`, { cause: err, path: where });
  }
  if (expr.type !== 'vector' || expr.offsetMs !== 0 || expr.at !== undefined || expr.matchers.some((m) => m.type !== '=')) {
    throw new SluiceError('SLUICE_ERR_RULES_TEST_FILE', `${where}: invalid series ${JSON.stringify(text)}: expected name{label="value", …}`, { path: where });
  }
  const labels: Record<string, string> = {};
  for (const m of expr.matchers) if (m.value !== '') labels[m.name] = m.value;
  return labels;
}
