/**
 * Prometheus's series and metadata endpoints: /api/v1/series, /api/v1/labels,
 * /api/v1/label/<name>/values and /api/v1/metadata, with Prometheus 2.42's parameters (`match[]`,
 * `start`, `end`; `limit` as current Prometheus reads it) and wording. Series are those with a
 * sample in [start, end], from the head and PostgreSQL; no samples are read. Metadata comes from
 * the naming conventions the stored series follow (Sluice keeps no HELP text): `_total` is a
 * counter, a family with `_bucket` series a histogram, one with `_sum` and `_count` beside it a
 * summary, anything else a gauge.
 */
import type { FastifyInstance } from 'fastify';
import { METRIC_NAME_LABEL, type Matcher } from '../../../store/types.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import type { SeriesSource } from '../../types.ts';
import { compareLabels, goJson, labelsJson, PromApiError } from './format.ts';
import { goQuote, isLabelName, limitParam, matchersParam, timeParam, type Form } from './params.ts';
import { TRUNCATED_WARNING } from './query.ts';
import { promRoute, StorageError, type Answer } from './reply.ts';

type LabelSet = Readonly<Record<string, string>>;

/** Registers the series and metadata routes. */
export function seriesRoutes(app: FastifyInstance, source: SeriesSource, logger?: Logger): void {
  /** The matching series of every selector set, each once. */
  const lookUp = async (sets: readonly (readonly Matcher[])[], start: number, end: number): Promise<LabelSet[]> => {
    const found = await Promise.all(sets.map((m) => source.series(m, start, end).catch((err: unknown) => { throw new StorageError(err); })));
    if (found.length === 1) return [...found[0]!];
    const byKey = new Map<string, LabelSet>();
    for (const list of found) for (const labels of list) byKey.set(labelsJson(labels), labels);
    return [...byKey.values()];
  };

  const series = async (form: Form): Promise<Answer> => {
    const texts = form.all('match[]');
    if (texts.length === 0) throw new PromApiError('bad_data', 'no match[] parameter provided');
    const start = timeParam(form, 'start', -Infinity);
    const end = timeParam(form, 'end', Infinity);
    const limit = limitParam(form);
    const sets = matchersParam(texts, 'match[]');
    const found = (await lookUp(sets, start, end)).sort(compareLabels);
    const [kept, warnings] = cut(found, limit);
    return { data: `[${kept.map(labelsJson).join(',')}]`, warnings };
  };

  const labels = async (form: Form): Promise<Answer> => {
    const start = timeParam(form, 'start', -Infinity);
    const end = timeParam(form, 'end', Infinity);
    const limit = limitParam(form);
    const texts = form.all('match[]');
    const sets = texts.length === 0 ? [[]] : matchersParam(texts);
    const names = new Set<string>();
    for (const s of await lookUp(sets, start, end)) for (const name in s) names.add(name);
    const [kept, warnings] = cut([...names].sort(), limit);
    return { data: goJson(kept), warnings };
  };

  const values = async (form: Form, params: Readonly<Record<string, string>>): Promise<Answer> => {
    const name = params.name ?? '';
    if (!isLabelName(name)) throw new PromApiError('bad_data', `invalid label name: ${goQuote(name)}`);
    const start = timeParam(form, 'start', -Infinity);
    const end = timeParam(form, 'end', Infinity);
    const limit = limitParam(form);
    const texts = form.all('match[]');
    // Only series that have the label can give it a value: saying so narrows the look-up.
    const has: Matcher = { name, type: '!=', value: '' };
    const sets = (texts.length === 0 ? [[]] : matchersParam(texts)).map((m) => [...m, has]);
    const found = new Set<string>();
    for (const s of await lookUp(sets, start, end)) {
      const value = s[name];
      if (value !== undefined && value !== '') found.add(value);
    }
    const [kept, warnings] = cut([...found].sort(), limit);
    return { data: goJson(kept), warnings };
  };

  const metadata = async (form: Form): Promise<Answer> => {
    const limitText = form.get('limit');
    // Prometheus 2.42: any integer; a negative one means no limit.
    if (limitText !== '' && !/^[+-]?\d+$/.test(limitText)) throw new PromApiError('bad_data', 'limit must be a number');
    const limit = limitText === '' ? -1 : Number(limitText);
    const metric = form.get('metric');
    const names = new Set<string>();
    const matchers: Matcher[] = [{ name: METRIC_NAME_LABEL, type: metric === '' ? '!=' : '=~', value: metric === '' ? '' : familyPattern(metric) }];
    for (const s of await lookUp([matchers], -Infinity, Infinity)) names.add(s[METRIC_NAME_LABEL]!);
    const families = metricFamilies(names);
    const out: string[] = [];
    for (const [family, type] of [...families].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (metric !== '' && family !== metric) continue;
      if (limit >= 0 && out.length >= limit) break;
      out.push(`${goJson(family)}:[{"type":${goJson(type)},"help":"","unit":""}]`);
    }
    return { data: `{${out.join(',')}}` };
  };

  promRoute(app, ['GET', 'POST'], '/api/v1/series', 'Series matching selectors (Prometheus API)', series, logger);
  promRoute(app, ['GET', 'POST'], '/api/v1/labels', 'Label names (Prometheus API)', labels, logger);
  promRoute(app, ['GET'], '/api/v1/label/:name/values', 'Values of one label (Prometheus API)', values, logger);
  promRoute(app, ['GET'], '/api/v1/metadata', 'Metric types by naming convention (Prometheus API)', metadata, logger);
}

/** The first `limit` entries (0: all), and the warning when some were left out. */
function cut<T>(list: T[], limit: number): [T[], string[]] {
  return limit > 0 && list.length > limit ? [list.slice(0, limit), [TRUNCATED_WARNING]] : [list, []];
}

/** A regex selecting a metric family's own series names. */
function familyPattern(metric: string): string {
  const quoted = metric.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `${quoted}(?:_bucket|_sum|_count)?`;
}

/**
 * The metric families stored series names make up, with their type by naming convention:
 * `x_bucket` makes `x` a histogram (with `x_sum` and `x_count`); `x` beside `x_sum` and `x_count`
 * a summary; a name ending `_total` a counter; any other a gauge.
 */
export function metricFamilies(names: ReadonlySet<string>): Map<string, 'counter' | 'gauge' | 'histogram' | 'summary'> {
  const out = new Map<string, 'counter' | 'gauge' | 'histogram' | 'summary'>();
  const taken = new Set<string>();
  for (const name of names) {
    if (!name.endsWith('_bucket')) continue;
    const base = name.slice(0, -'_bucket'.length);
    out.set(base, 'histogram');
    for (const part of [name, `${base}_sum`, `${base}_count`]) taken.add(part);
  }
  for (const name of names) {
    if (taken.has(name) || out.has(name)) continue;
    if (names.has(`${name}_sum`) && names.has(`${name}_count`) && !out.has(name)) {
      out.set(name, 'summary');
      taken.add(`${name}_sum`);
      taken.add(`${name}_count`);
    }
  }
  for (const name of names) {
    if (taken.has(name) || out.has(name)) continue;
    out.set(name, name.endsWith('_total') ? 'counter' : 'gauge');
  }
  return out;
}
