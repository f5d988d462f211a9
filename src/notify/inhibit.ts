/**
 * Inhibition, pure: a firing alert matching a rule's source matchers mutes every alert matching
 * its target matchers that has the same values for the rule's `equal` labels (a label missing on
 * both sides counts as equal). An alert never inhibits itself, so one matching both sides of a
 * rule is only muted by another alert.
 * https://prometheus.io/docs/alerting/latest/configuration/#inhibit_rule
 */
import type { InhibitRuleConfig } from './config.ts';
import { compile, matchesAll, type LabelMatcher } from './matchers.ts';
import type { Labels } from './types.ts';

/** One inhibition rule, compiled. */
export interface InhibitRule {
  readonly source: readonly LabelMatcher[];
  readonly target: readonly LabelMatcher[];
  readonly equal: readonly string[];
}

/** An alert as inhibition sees it. */
export interface InhibitCandidate {
  readonly fingerprint: string;
  readonly labels: Labels;
  /** Only firing alerts inhibit. */
  readonly firing: boolean;
}

/** Compiles the configured rules. */
export function compileInhibitRules(rules: readonly InhibitRuleConfig[]): InhibitRule[] {
  return rules.map((rule) => ({ source: compile(rule.source_matchers), target: compile(rule.target_matchers), equal: [...rule.equal] }));
}

/**
 * The fingerprints among `alerts` that are inhibited, each mapped to the fingerprint of one
 * alert inhibiting it (the first source found, in the order given).
 */
export function inhibited(rules: readonly InhibitRule[], alerts: readonly InhibitCandidate[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const rule of rules) {
    const sources = alerts.filter((a) => a.firing && matchesAll(rule.source, a.labels));
    if (sources.length === 0) continue;
    for (const target of alerts) {
      if (out.has(target.fingerprint) || !matchesAll(rule.target, target.labels)) continue;
      const source = sources.find((s) => s.fingerprint !== target.fingerprint && rule.equal.every((name) => (s.labels[name] ?? '') === (target.labels[name] ?? '')));
      if (source !== undefined) out.set(target.fingerprint, source.fingerprint);
    }
  }
  return out;
}
