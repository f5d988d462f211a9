/** Label matchers of API filters: Alertmanager's matcher syntax (as in `notify:`), PromQL semantics. */
import { parseMatcher } from '../notify/matchers.ts';
import { compileMatchers, type CompiledMatcher } from '../store/matchers.ts';
import { SluiceError } from '../errors.ts';

/** One `filter` matcher, compiled; a bad one is SLUICE_ERR_API_REQUEST naming `path`. */
export function parseMatcherText(text: string, path: string): CompiledMatcher {
  const parsed = parseMatcher(text);
  if (typeof parsed === 'string') throw new SluiceError('SLUICE_ERR_API_REQUEST', `${path}: ${parsed}`, { path });
  return compileMatchers([parsed])[0]!;
}

/** True when `labels` satisfy every matcher (a missing label reads as ''). */
export function matchesAll(matchers: readonly CompiledMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => m.test(labels[m.name] ?? ''));
}
