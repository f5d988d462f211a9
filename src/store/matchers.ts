/**
 * Label matchers with PromQL semantics: `=`, `!=`, `=~`, `!~`; regexes in RE2 syntax, matching
 * the whole value (src/regex.ts); a missing label reads as the empty string (so `{team!="a"}`
 * also selects series without `team`).
 */
import { SluiceError } from '../errors.ts';
import { compileRegex } from '../regex.ts';
import { METRIC_NAME_LABEL, type Matcher } from './types.ts';

/** A matcher ready to test values. */
export interface CompiledMatcher extends Matcher {
  test(value: string): boolean;
}

/** Checks and compiles matchers; throws SLUICE_ERR_STORE_MATCHER_INVALID for a bad type or regex. */
export function compileMatchers(matchers: readonly Matcher[]): CompiledMatcher[] {
  return matchers.map((matcher, index) => {
    const { name, type, value } = matcher;
    const path = `matchers[${index}]`;
    if (typeof name !== 'string' || typeof value !== 'string') {
      throw new SluiceError('SLUICE_ERR_STORE_MATCHER_INVALID', `${path}: name and value must be strings`, { path });
    }
    switch (type) {
      case '=':
        return { name, type, value, test: (v: string) => v === value };
      case '!=':
        return { name, type, value, test: (v: string) => v !== value };
      case '=~':
      case '!~': {
        const re = anchoredRegex(value, path);
        return type === '=~' ? { name, type, value, test: (v: string) => re.test(v) } : { name, type, value, test: (v: string) => !re.test(v) };
      }
      default:
        throw new SluiceError('SLUICE_ERR_STORE_MATCHER_INVALID', `${path}: type must be one of =, !=, =~, !~, got ${JSON.stringify(type)}`, { path });
    }
  });
}

/** A matcher's regex: `test` is true when the whole value matches. */
export interface AnchoredRegex {
  test(value: string): boolean;
}

/**
 * The regex of a `=~`/`!~` matcher, matching whole values as PromQL and Alertmanager do; throws
 * SLUICE_ERR_STORE_MATCHER_INVALID at `path` saying what RE2 refused.
 */
export function anchoredRegex(source: string, path = 'matcher'): AnchoredRegex {
  try {
    const re = compileRegex(source);
    return { test: (value) => re.matchesWhole(value) };
  } catch (err) {
    throw new SluiceError('SLUICE_ERR_STORE_MATCHER_INVALID', `${path}: ${(err as Error).message}`, { cause: err, path });
  }
}

/** True when the series (metric name + labels) satisfies every matcher. */
export function matchesSeries(matchers: readonly CompiledMatcher[], metric: string, labels: Readonly<Record<string, string>>): boolean {
  for (const matcher of matchers) {
    const value = matcher.name === METRIC_NAME_LABEL ? metric : (labels[matcher.name] ?? '');
    if (!matcher.test(value)) return false;
  }
  return true;
}

/**
 * The metric names that can match: the value of a `__name__ =` matcher when there is one
 * (the common case, answered from an index), undefined when any name may.
 */
export function exactMetricName(matchers: readonly Matcher[]): string | undefined {
  return matchers.find((m) => m.name === METRIC_NAME_LABEL && m.type === '=')?.value;
}
