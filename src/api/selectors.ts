/**
 * Series selectors given in a request (`match[]` of `/federate`), read as Prometheus reads them:
 * a metric name and/or label matchers in braces, nothing else (no range, offset or `@`), with at
 * least one matcher that does not match the empty string.
 */
import { SluiceError } from '../errors.ts';
import { parseExpr } from '../rules/promql/index.ts';
import type { Matcher } from '../store/types.ts';

/** An example for messages. */
const EXAMPLE = '{__name__=~"kafka_.*"} or kafka_consumergroup_group_lag{group="billing"}';

/** The matchers of one selector; SLUICE_ERR_API_REQUEST naming `field` when `text` is not one. */
export function parseSeriesSelector(text: string, field: string): Matcher[] {
  let expr;
  try {
    expr = parseExpr(text);
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_API_REQUEST', `${field}: expected a series selector such as ${EXAMPLE}: ${(err as Error).message}`, { path: field, cause: err });
  }
  if (expr.type !== 'vector' || expr.offsetMs !== 0 || expr.at !== undefined) {
    const what = expr.type === 'vector' ? 'a selector with a modifier' : expr.type === 'matrix' ? 'a range selector' : 'an expression';
    throw new SluiceError('SLUICE_ERR_API_REQUEST', `${field}: expected a series selector such as ${EXAMPLE}, got ${what}: ${JSON.stringify(text)}`, { path: field });
  }
  return [...expr.matchers];
}

/**
 * The selectors of a query parameter that may be repeated (`match[]=a&match[]=b`), each parsed;
 * SLUICE_ERR_API_REQUEST when there is none, or naming the first bad one as `field[i]`.
 */
export function parseSeriesSelectors(value: unknown, field: string): Matcher[][] {
  const texts = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (texts.length === 0) throw new SluiceError('SLUICE_ERR_API_REQUEST', `${field}: expected at least one series selector, e.g. ${field}=${EXAMPLE}`, { path: field });
  return texts.map((text, i) => {
    if (typeof text !== 'string') throw new SluiceError('SLUICE_ERR_API_REQUEST', `${field}[${i}]: expected text`, { path: `${field}[${i}]` });
    return parseSeriesSelector(text, texts.length === 1 ? field : `${field}[${i}]`);
  });
}
