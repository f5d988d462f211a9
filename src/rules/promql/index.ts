/**
 * Sluice's PromQL engine: parse (with Prometheus's lezer grammar), check, format and evaluate
 * expressions over any Querier.
 */
export type { Expr } from './ast.ts';
export { selectorsOf } from './ast.ts';
export type { VectorSample } from './context.ts';
export { typeOf } from './check.ts';
export { Engine, type EngineOptions, type MatrixSeries, type QueryBounds, type Value } from './engine.ts';
export { PromQLError, type PromQLPosition } from './errors.ts';
export { formatExpr } from './format.ts';
export { FUNCTION_NAMES } from './functions.ts';
export { parseExpr } from './parse.ts';
export { SeriesSet, type SeriesInput } from './series-set.ts';
export { isStaleNaN, STALE_NAN } from './stale.ts';
