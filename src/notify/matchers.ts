/**
 * Alertmanager matchers: the strings of `matchers:` (`severity=~"page|critical"`, `team!=db`,
 * `alertname="Lag"`), the older `match`/`match_re` maps, and the test of a label set against
 * them. Regexes use RE2 syntax and match whole values, and a missing label reads as '', as in
 * Alertmanager.
 * https://prometheus.io/docs/alerting/latest/configuration/#matcher
 */
import { compileRegex } from '../regex.ts';
import { anchoredRegex } from '../store/matchers.ts';
import type { MatchType, Matcher } from '../store/types.ts';
import type { Labels } from './types.ts';

export type { MatchType, Matcher } from '../store/types.ts';

const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

/**
 * Parses one matcher string; returns a message saying what is wrong instead when it is not one.
 * A value may be quoted (with Go/JSON escapes) or bare; a list in braces (`{a="1"}`) holding one
 * matcher is accepted too.
 */
export function parseMatcher(text: string): Matcher | string {
  let body = text.trim();
  if (body.startsWith('{') && body.endsWith('}')) body = body.slice(1, -1);
  const match = MATCHER.exec(body);
  if (match === null) return `expected a matcher such as severity="page" or team=~"db|kafka", got ${JSON.stringify(text)}`;
  const name = unquote(match[1]!);
  const raw = match[3]!;
  let value: string | undefined = raw;
  if (raw.startsWith('"')) value = raw.endsWith('"') && raw.length >= 2 ? unquote(raw) : undefined;
  if (value === undefined || name === undefined) return `the quoted value of ${JSON.stringify(text)} is not closed or has a bad escape`;
  const type = match[2] as MatchType;
  if (type === '=~' || type === '!~') {
    const problem = regexProblem(value);
    if (problem !== undefined) return `${problem} in ${JSON.stringify(text)}`;
  }
  return { name, type, value };
}

/** What is wrong with `value` as a matcher regex (`invalid regular expression "(": …`), or undefined when it compiles. */
export function regexProblem(value: string): string | undefined {
  try {
    compileRegex(value);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function unquote(text: string): string | undefined {
  if (!text.startsWith('"')) return text;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A matcher ready to test label sets. */
export interface LabelMatcher extends Matcher {
  matches(labels: Labels): boolean;
}

/** Compiles matchers checked beforehand (by the config schema or the silence validator). */
export function compile(matchers: readonly Matcher[]): LabelMatcher[] {
  return matchers.map((m) => {
    const test = valueTest(m);
    return { name: m.name, type: m.type, value: m.value, matches: (labels: Labels) => test(labels[m.name] ?? '') };
  });
}

/** Whether `value` satisfies matcher `m`. */
export function valueTest(m: Matcher): (value: string) => boolean {
  switch (m.type) {
    case '=':
      return (v) => v === m.value;
    case '!=':
      return (v) => v !== m.value;
    case '=~': {
      const re = anchoredRegex(m.value);
      return (v) => re.test(v);
    }
    case '!~': {
      const re = anchoredRegex(m.value);
      return (v) => !re.test(v);
    }
  }
}

/** True when `labels` satisfies every matcher (an empty list matches everything). */
export function matchesAll(matchers: readonly LabelMatcher[], labels: Labels): boolean {
  for (const m of matchers) if (!m.matches(labels)) return false;
  return true;
}

/** A matcher as Alertmanager prints it: `name="value"`, `name=~"re"`. */
export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}
