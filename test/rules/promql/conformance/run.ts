/**
 * Runs a test file in Prometheus's PromQL test language (see script.ts) against Sluice's engine
 * over an in-memory SeriesSet, as Prometheus's own runner (v2.42) does: series loaded from time 0,
 * one sample per interval; each `eval` an instant query at its time, then its `@` variants (see
 * at-variants.ts). Each query that is not expected to fail also runs in range mode, from one
 * minute before to one minute after with a one-minute step; unless the case is ordered, the
 * middle step must give the same result.
 */
import { readFileSync } from 'node:fs';
import { Engine, SeriesSet, type Value, type VectorSample } from '../../../../src/rules/promql/index.ts';
import { STALE_NAN } from '../../../../src/rules/promql/stale.ts';
import { atVariants } from './at-variants.ts';
import { mismatch } from './compare.ts';
import { type Command, parseScript } from './script.ts';

const MINUTE = 60_000;

/** The outcome of one `eval`: `failure` says what went wrong, undefined when it passed. */
export interface CaseResult {
  readonly line: number;
  readonly expr: string;
  readonly failure: string | undefined;
}

/** Reads and runs a .test file; every eval's outcome in file order. */
export async function runTestFile(path: string): Promise<CaseResult[]> {
  return runScript(parseScript(readFileSync(path, 'utf8')));
}

/** Runs parsed commands; every eval's outcome in order. */
export async function runScript(commands: readonly Command[]): Promise<CaseResult[]> {
  // Prometheus's test engine: lookback 5m, subqueries without a step use 1m.
  const engine = new Engine({ lookbackDeltaMs: 5 * MINUTE, defaultSubqueryStepMs: MINUTE });
  let set = new SeriesSet();
  const results: CaseResult[] = [];
  for (const cmd of commands) {
    switch (cmd.kind) {
      case 'clear':
        set = new SeriesSet();
        break;
      case 'load':
        for (const s of cmd.series) {
          s.values.forEach((v, i) => {
            if (v !== undefined) set.add(s.labels, i * cmd.intervalMs, v === 'stale' ? STALE_NAN : v);
          });
        }
        break;
      case 'eval':
        results.push({ line: cmd.line, expr: cmd.expr, failure: await runEval(engine, set, cmd) });
        break;
    }
  }
  return results;
}

async function runEval(engine: Engine, set: SeriesSet, cmd: Extract<Command, { kind: 'eval' }>): Promise<string | undefined> {
  const queries = [{ expr: cmd.expr, atMs: cmd.atMs }];
  try {
    queries.push(...atVariants(cmd.expr, cmd.atMs));
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
  for (const q of queries) {
    const failure = await runQuery(engine, set, cmd, q.expr, q.atMs);
    if (failure !== undefined) return q.expr === cmd.expr && q.atMs === cmd.atMs ? failure : `${q.expr} at ${q.atMs / 1000}s: ${failure}`;
  }
  return undefined;
}

async function runQuery(engine: Engine, set: SeriesSet, cmd: Extract<Command, { kind: 'eval' }>, expr: string, atMs: number): Promise<string | undefined> {
  let got: Value;
  try {
    got = await engine.instant(expr, atMs, set);
  } catch (err) {
    return cmd.mode === 'fail' ? undefined : `error: ${(err as Error).message}`;
  }
  if (cmd.mode === 'fail') return 'expected an error, got none';
  const instant = mismatch(cmd, got, cmd.mode === 'ordered');
  if (instant !== undefined) return instant;
  // Range mode: the middle step of a three-step range query must give the same result.
  let series;
  try {
    series = await engine.range(expr, atMs - MINUTE, atMs + MINUTE, MINUTE, set);
  } catch (err) {
    return `range mode: error: ${(err as Error).message}`;
  }
  if (cmd.mode === 'ordered') return undefined;
  const samples: VectorSample[] = [];
  for (const s of series) {
    const i = Array.prototype.indexOf.call(s.ts, atMs);
    if (i >= 0) samples.push({ metric: s.metric, value: s.values[i]! });
  }
  const middle: Value = got.kind === 'scalar' ? { kind: 'scalar', value: samples[0]?.value ?? NaN } : { kind: 'vector', samples };
  const ranged = mismatch(cmd, middle, false);
  return ranged === undefined ? undefined : `range mode: ${ranged}`;
}
