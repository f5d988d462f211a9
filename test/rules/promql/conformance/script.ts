/**
 * Prometheus's PromQL test language (promql/testdata/*.test in the Prometheus repository), read
 * into commands:
 *
 *   load <interval>                      series lines follow, one per line, until a blank line:
 *     metric{l="v"} 0+10x100 _ stale    values in promtool's expanding notation
 *   clear                                drops every series loaded so far
 *   eval instant at <time> <expr>        expected result lines follow until a blank line:
 *     metric{l="v"} 42                   one per sample, or a bare number for a scalar
 *   eval_ordered instant at …            the samples must also come in the order written
 *   eval_fail instant at …               the evaluation must fail
 *
 * Lines are trimmed; a line starting with `#` is a comment (and, as in Prometheus, ends a block
 * like a blank line does).
 */
import { parseDuration } from '../../../../src/duration.ts';
import { expandSeriesValues, parseSeriesSelector, type SeriesValue } from '../../../../src/rules/test-format/notation.ts';

/** Labels of a series, `__name__` included. */
export type Labels = Readonly<Record<string, string>>;

export interface LoadSeries {
  readonly labels: Labels;
  /** One entry per interval from time 0: a number, undefined for no sample, 'stale' for a staleness marker. */
  readonly values: readonly SeriesValue[];
}

/** One expected sample of an instant vector; `pos` is its position among the expected lines, from 1. */
export interface ExpectedSample {
  readonly labels: Labels;
  readonly value: number;
  readonly pos: number;
}

export type Command =
  | { readonly kind: 'clear'; readonly line: number }
  | { readonly kind: 'load'; readonly line: number; readonly intervalMs: number; readonly series: readonly LoadSeries[] }
  | {
      readonly kind: 'eval';
      /** Line of the `eval` command, from 1. */
      readonly line: number;
      readonly expr: string;
      readonly atMs: number;
      readonly mode: 'plain' | 'ordered' | 'fail';
      /** The expected scalar when a bare number was written. */
      readonly scalar: number | undefined;
      /** Expected samples by series key (see `labelsKey`); a later line for the same series replaces an earlier one, as in Prometheus. */
      readonly samples: ReadonlyMap<string, ExpectedSample>;
    };

const EVAL = /^eval(?:_(fail|ordered))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const LOAD = /^load\s+(.+?)$/;

/** A canonical text for a label set: equal sets, equal keys. */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/** Reads a test file's text into commands; throws an Error naming the line for what it cannot read. */
export function parseScript(text: string): Command[] {
  const lines = text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const commands: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    const word = l.split(/[\t ]+/, 1)[0]!.toLowerCase();
    const fail = (message: string): never => {
      throw new Error(`line ${i + 1}: ${message}`);
    };
    // The lines of the block that follows a command: up to the next blank line.
    const block = (): { text: string; line: number }[] => {
      const out: { text: string; line: number }[] = [];
      while (i + 1 < lines.length && lines[i + 1] !== '') out.push({ text: lines[++i]!, line: i + 1 });
      return out;
    };
    if (word === 'clear') {
      commands.push({ kind: 'clear', line: i + 1 });
    } else if (word === 'load') {
      const m = LOAD.exec(l) ?? fail('invalid load command (load <step:duration>)');
      const intervalMs = parseDuration(m[1]!) ?? fail(`invalid step definition ${JSON.stringify(m[1])}`);
      const line = i + 1;
      const series = block().map((b) => {
        try {
          return parseSeriesLine(b.text);
        } catch (err) {
          throw new Error(`line ${b.line}: ${(err as Error).message}`);
        }
      });
      commands.push({ kind: 'load', line, intervalMs, series });
    } else if (word.startsWith('eval')) {
      const m = EVAL.exec(l) ?? fail('invalid evaluation command (eval[_fail|_ordered] instant [at <offset:duration>] <query>)');
      const atMs = m[2] === undefined ? 0 : (parseDuration(m[2]) ?? fail(`invalid evaluation time ${JSON.stringify(m[2])}`));
      const line = i + 1;
      let scalar: number | undefined;
      const samples = new Map<string, ExpectedSample>();
      let pos = 0;
      for (const b of block()) {
        pos++;
        const n = goNumber(b.text);
        if (n !== undefined) {
          // As in Prometheus, a bare number ends the expectations (any further lines are ignored).
          scalar = n;
          while (i + 1 < lines.length && lines[i + 1] !== '') i++;
          break;
        }
        let s: LoadSeries;
        try {
          s = parseSeriesLine(b.text);
        } catch (err) {
          throw new Error(`line ${b.line}: ${(err as Error).message}`);
        }
        if (s.values.length !== 1 || typeof s.values[0] !== 'number') throw new Error(`line ${b.line}: expected exactly one value in an instant evaluation`);
        samples.set(labelsKey(s.labels), { labels: s.labels, value: s.values[0], pos });
      }
      commands.push({ kind: 'eval', line, expr: m[3]!, atMs, mode: m[1] === 'fail' ? 'fail' : m[1] === 'ordered' ? 'ordered' : 'plain', scalar, samples });
    } else {
      fail(`invalid command ${JSON.stringify(l)}`);
    }
  }
  return commands;
}

/** A series line `name{l="v", …} values…`: the series part ends at the closing brace (quotes respected) or, without braces, at the first blank. */
export function parseSeriesLine(text: string): LoadSeries {
  let end = 0;
  while (end < text.length && !/[\s{]/.test(text[end]!)) end++;
  if (text[end] === '{') {
    let quote: string | undefined;
    for (end++; end < text.length; end++) {
      const c = text[end]!;
      if (quote !== undefined) {
        if (c === '\\' && quote !== '`') end++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'" || c === '`') quote = c;
      else if (c === '}') break;
    }
    if (end >= text.length) throw new Error(`unterminated label set in ${JSON.stringify(text)}`);
    end++;
  }
  const series = text.slice(0, end);
  const labels = /^\{\s*\}$/.test(series) ? {} : parseSeriesSelector(series);
  return { labels, values: expandSeriesValues(text.slice(end)) };
}

/**
 * Go's strconv.ParseInt(s, 0, 64) then strconv.ParseFloat(s, 64), as the test language reads a
 * scalar: decimal, hex, octal and binary integers, floats, Inf/Infinity and NaN in any case.
 */
export function goNumber(text: string): number | undefined {
  const m = /^([+-]?)(.*)$/.exec(text)!;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2]!.toLowerCase();
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return m[1] === '' ? NaN : undefined;
  if (/^0x[0-9a-f]+$/.test(body)) return sign * parseInt(body.slice(2), 16);
  if (/^0b[01]+$/.test(body)) return sign * parseInt(body.slice(2), 2);
  if (/^0o?[0-7]+$/.test(body)) return sign * parseInt(body.replace(/^0o?/, ''), 8);
  if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(body)) return sign * Number(body);
  return undefined;
}
