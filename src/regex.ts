/**
 * The one place Sluice compiles a regular expression it did not write itself: PromQL matchers
 * and label_replace, silences, routes and inhibitions, API filters and alert templates. Patterns
 * run on re2js, the JavaScript port of Go's RE2 engine that Prometheus and Alertmanager use, so
 * matching takes time linear in the input whatever the pattern (a backtracking engine can take
 * minutes on `([a-z_]|[a-z_]){0,28}X`), and the syntax is Go's: `(?i)`, `(?i:…)`, `(?s)`, `\pL`,
 * `(?P<name>…)`; backreferences and lookarounds are refused.
 *
 * As in Prometheus 2.x and Alertmanager, `.` does not match a newline unless `(?s)` says so.
 * https://pkg.go.dev/regexp/syntax
 */
import { RE2JS } from 're2js';
import { SluiceError } from './errors.ts';

/** A compiled RE2 pattern with Go's matching operations. */
export interface Regex {
  /** The pattern as written. */
  readonly source: string;
  /** True when the whole of `value` matches (PromQL and Alertmanager matchers, anchored at both ends). */
  matchesWhole(value: string): boolean;
  /** True when some part of `value` matches (Go's `MatchString`, the template function `match`). */
  test(value: string): boolean;
  /** The capture groups of a whole-value match (index 0 the whole value), or undefined when it does not match. */
  wholeMatch(value: string): Submatches | undefined;
  /** Go's `ReplaceAllString`: every match replaced by `template` expanded (`$1`, `${name}`, `$$`). */
  replaceAll(value: string, template: string): string;
}

/** The groups of one match: by number (undefined when the group took no part) and by name. */
export interface Submatches {
  readonly groups: readonly (string | undefined)[];
  readonly named: Readonly<Record<string, number>>;
}

/** SLUICE_ERR_REGEX_INVALID: what RE2 refused in a pattern. */
export class RegexSyntaxError extends SluiceError {
  /** Go's words for what is wrong (`missing closing ): \`(\``), with a hint for backtracking-only features. */
  readonly reason: string;

  constructor(source: string, reason: string, cause: unknown) {
    super('SLUICE_ERR_REGEX_INVALID', `invalid regular expression ${JSON.stringify(source)}: ${reason}`, { cause });
    this.name = 'RegexSyntaxError';
    this.reason = reason;
  }
}

/** Compiled patterns kept, by source: rules and routes compile the same few patterns again and again. */
const CACHE_SIZE = 512;
const cache = new Map<string, Regex>();

/**
 * Compiles `source` with RE2 (Go) syntax; throws SLUICE_ERR_REGEX_INVALID naming what is wrong,
 * with a hint when the pattern uses a backtracking-only feature.
 */
export function compileRegex(source: string): Regex {
  const cached = cache.get(source);
  if (cached !== undefined) {
    // Most recently used last, so that the oldest entry is the first evicted.
    cache.delete(source);
    cache.set(source, cached);
    return cached;
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new RegexSyntaxError(source, reason(source, err), err);
  }
  const compiled = wrap(source, re);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(source, compiled);
  return compiled;
}

/** Why RE2 refused `source`, in Go's words, with what to write instead for features RE2 lacks. */
function reason(source: string, err: unknown): string {
  const message = (err as Error).message.replace(/^error parsing regexp: /, '');
  if (/\\[1-9]/.test(source) && /invalid escape sequence: `\\[1-9]/.test(message)) return `${message} (backreferences are not supported: patterns use RE2 syntax, as in Prometheus)`;
  if (/\(\?<?[=!]/.test(source)) return `${message} (lookahead and lookbehind are not supported: patterns use RE2 syntax, as in Prometheus)`;
  return message;
}

function wrap(source: string, re: RE2JS): Regex {
  const names: Record<string, number> = { ...re.namedGroups() };
  const groupCount = re.groupCount();
  const groupsOf = (m: ReturnType<RE2JS['matcher']>): (string | undefined)[] => {
    const groups: (string | undefined)[] = [];
    for (let i = 0; i <= groupCount; i++) groups.push(m.group(i) ?? undefined);
    return groups;
  };
  return {
    source,
    matchesWhole: wholeShortcut(source) ?? ((value) => re.testExact(value)),
    test: (value) => re.test(value),
    wholeMatch(value) {
      const m = re.matcher(value);
      return m.matches() ? { groups: groupsOf(m), named: names } : undefined;
    },
    replaceAll(value, template) {
      // Go's replaceAll loop: an empty match right after a match is not replaced, and the search
      // always moves on by at least one character.
      const m = re.matcher(value);
      let out = '';
      let lastEnd = 0;
      let searchPos = 0;
      while (searchPos <= value.length && m.find(searchPos)) {
        const start = m.start();
        const end = m.end();
        out += value.slice(lastEnd, start);
        if (end > lastEnd || start === 0) out += expandTemplate(template, { groups: groupsOf(m), named: names });
        lastEnd = end;
        const width = (value.codePointAt(searchPos) ?? 0) > 0xffff ? 2 : 1;
        searchPos = searchPos + width > end ? searchPos + width : end;
      }
      return out + value.slice(lastEnd);
    },
  };
}

/** Characters that mean something in RE2 syntax; a pattern without them (but `|`) is literal text. */
const META = /[\\.+*?()[\]{}^$]/;

/**
 * A whole-value test without the automaton for the two shapes most matchers have, as Prometheus's
 * FastRegexMatcher does: literal alternatives (`api|web`) and a literal prefix followed by `.*`
 * (`kafka_.*`, where `.` stops at a newline). Undefined for any other pattern.
 */
function wholeShortcut(source: string): ((value: string) => boolean) | undefined {
  if (!META.test(source)) {
    const alternatives = new Set(source.split('|'));
    return (value) => alternatives.has(value);
  }
  if (source.endsWith('.*') && !META.test(source.slice(0, -2)) && !source.includes('|')) {
    const prefix = source.slice(0, -2);
    return (value) => value.startsWith(prefix) && !value.includes('\n', prefix.length);
  }
  return undefined;
}

/**
 * Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}` and `$$`; a bare name is the longest
 * run of letters, digits and `_` (so `$1x` names the group `1x`), and a group that does not
 * exist or did not take part expands to ''. A `$` followed by nothing valid is kept.
 */
export function expandTemplate(template: string, match: Submatches): string {
  return template.replace(/\$(?:(\$)|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (all, dollar: string | undefined, braced: string | undefined, bare: string | undefined) => {
    if (dollar !== undefined) return '$';
    const ref = (braced ?? bare)!;
    if (/^[0-9]+$/.test(ref)) return match.groups[Number(ref)] ?? '';
    const index = match.named[ref];
    return index === undefined ? '' : (match.groups[index] ?? '');
  });
}
