/**
 * /api/v1/rules and /api/v1/alerts in Prometheus 2.42's shape (its RuleDiscovery and
 * AlertDiscovery), from the rules stage's status: groups with `interval`, `limit`,
 * `evaluationTime` (seconds) and `lastEvaluation`, rules typed `alerting` or `recording`, and the
 * pending and firing alerts of each alerting rule, their values written as Go's `%e` (`"5e+00"`).
 * Sluice's own shapes, with silences and inhibitions, are at /api/v1/sluice/rules and
 * /api/v1/sluice/alerts.
 */
import type { FastifyInstance } from 'fastify';
import type { ActiveAlert } from '../../../rules/status.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import type { ApiRule, ApiRuleGroup, RulesSource } from '../../types.ts';
import { formatExpr, parseExpr } from '../../../rules/promql/index.ts';
import { compareLabels, goExponent, goJson, goTime } from './format.ts';
import { goQuote, invalidParam, type Form } from './params.ts';
import { promRoute, type Answer } from './reply.ts';

/** An alert as Prometheus's API lists it. */
interface PromAlert {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  state: 'pending' | 'firing';
  activeAt: string;
  keepFiringSince?: string;
  value: string;
}

/** A label set with its names in order, as Go writes a map. */
function sorted(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) out[name] = labels[name]!;
  return out;
}

const ms = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso));

/** Pending and firing alerts (resolved ones are not listed, as in Prometheus). */
function promAlerts(alerts: readonly ActiveAlert[]): PromAlert[] {
  const listed = alerts.filter((a) => a.state !== 'resolved').sort((a, b) => compareLabels(a.labels, b.labels));
  return listed.map((a) => ({
    labels: sorted(a.labels),
    annotations: sorted(a.annotations),
    state: a.state === 'firing' ? 'firing' : 'pending',
    activeAt: goTime(ms(a.activeAt)),
    ...(a.keepFiringSince === undefined ? {} : { keepFiringSince: goTime(ms(a.keepFiringSince)) }),
    value: goExponent(a.value),
  }));
}

/** An alerting rule's state: the most advanced of its alerts'. */
function ruleState(alerts: readonly ActiveAlert[]): 'inactive' | 'pending' | 'firing' {
  if (alerts.some((a) => a.state === 'firing')) return 'firing';
  return alerts.some((a) => a.state === 'pending') ? 'pending' : 'inactive';
}

/** Rule expressions in Prometheus's canonical spelling, as its API shows them, by the text as written. */
const canonical = new Map<string, string>();

function canonicalQuery(text: string): string {
  let out = canonical.get(text);
  if (out === undefined) {
    try {
      out = formatExpr(parseExpr(text));
    } catch {
      out = text;
    }
    // Rule files are few and reloaded rarely; forget them all rather than grow without bound.
    if (canonical.size >= 10_000) canonical.clear();
    canonical.set(text, out);
  }
  return out;
}

function promRule(r: ApiRule): Record<string, unknown> {
  const common = { health: r.health, ...(r.lastError === undefined ? {} : { lastError: r.lastError }), evaluationTime: (r.evaluationMs ?? 0) / 1000, lastEvaluation: goTime(ms(r.lastEvaluation)) };
  if (r.type === 'recording') {
    return { name: r.name, query: canonicalQuery(r.query), ...(Object.keys(r.labels).length === 0 ? {} : { labels: sorted(r.labels) }), ...common, type: 'recording' };
  }
  const alerts = r.alerts ?? [];
  return {
    state: ruleState(alerts), name: r.name, query: canonicalQuery(r.query), duration: r.forSeconds ?? 0, keepFiringFor: r.keepFiringForSeconds ?? 0,
    labels: sorted(r.labels), annotations: sorted(r.annotations ?? {}), alerts: promAlerts(alerts), ...common, type: 'alerting',
  };
}

function promGroup(g: ApiRuleGroup, wanted: 'alerting' | 'recording' | undefined): Record<string, unknown> {
  return {
    name: g.name,
    file: g.file,
    rules: g.rules.filter((r) => wanted === undefined || r.type === wanted).map(promRule),
    interval: g.intervalSeconds,
    limit: g.limit,
    evaluationTime: (g.evaluationMs ?? 0) / 1000,
    lastEvaluation: goTime(ms(g.lastEvaluation)),
  };
}

/** Registers /api/v1/rules and /api/v1/alerts. */
export function ruleRoutes(app: FastifyInstance, rules: RulesSource, logger?: Logger): void {
  const listRules = async (form: Form): Promise<Answer> => {
    const type = form.get('type').toLowerCase();
    if (type !== '' && type !== 'alert' && type !== 'record') throw invalidParam('type', `not supported value ${goQuote(type)}`);
    const wanted = type === 'alert' ? 'alerting' : type === 'record' ? 'recording' : undefined;
    return { data: goJson({ groups: rules.groups().map((g) => promGroup(g, wanted)) }) };
  };
  const listAlerts = async (): Promise<Answer> => {
    const alerts = rules.groups().flatMap((g) => g.rules.flatMap((r) => promAlerts(r.alerts ?? [])));
    return { data: goJson({ alerts }) };
  };
  promRoute(app, ['GET'], '/api/v1/rules', 'Rule groups in Prometheus\'s shape (Prometheus API)', listRules, logger);
  promRoute(app, ['GET'], '/api/v1/alerts', 'Pending and firing alerts in Prometheus\'s shape (Prometheus API)', listAlerts, logger);
}
