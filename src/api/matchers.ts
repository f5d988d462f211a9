/** Label matchers of API filters, with the store's PromQL semantics. */
import { compileMatchers, parseMatcherText as parseText, type CompiledMatcher } from '../store/matchers.ts';
import { SluiceError, isSluiceError } from '../errors.ts';

/** One `filter` matcher, compiled; a bad one is SLUICE_ERR_API_REQUEST naming `path`. */
export function parseMatcherText(text: string, path: string): CompiledMatcher {
  try {
    return compileMatchers([parseText(text, path)])[0]!;
  } catch (err) {
    if (isSluiceError(err)) throw new SluiceError('SLUICE_ERR_API_REQUEST', err.message, { cause: err, path });
    throw err;
  }
}

/** True when `labels` satisfy every matcher (a missing label reads as ''). */
export function matchesAll(matchers: readonly CompiledMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => m.test(labels[m.name] ?? ''));
}
