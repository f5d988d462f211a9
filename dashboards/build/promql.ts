/**
 * PromQL of the Prometheus boards, written once here so that every panel reads Sluice's series
 * the same way through its Prometheus API (docs/prometheus-api.md). Series keep the names the
 * collectors store (src/collect): the JMX exporter's for broker metrics, node_exporter's for
 * hosts, kafka-lag-exporter's for lag, `sluice_*` for what Sluice derives, and the recording
 * rules' of the shipped packs (rules/*.yaml).
 *
 * Template variables are matched as regexes (`label=~"$var"`): Grafana writes several picked
 * values as `(a|b)`, regex-escaped, and All as the variable's `allValue`, so that All never sends
 * every topic of a fleet in one selector. Counters become per-second rates over
 * `$__rate_interval` (at least four collection intervals), which Grafana sets per query
 * (https://grafana.com/docs/grafana/latest/datasources/prometheus/template-variables/).
 */

/** The All value of a variable: any value, the label absent included (clients without a user, alerts without a severity). */
export const PROM_ALL = '.*';

/** The All value of the topic variable: any topic, so that BrokerTopicMetrics' per-broker totals (no topic label) stay out. */
export const TOPIC_ALL = '.+';

/** Kafka's internal topics (`__consumer_offsets`, `__transaction_state`): the topic variable and the panels it filters leave them out. */
export const NOT_INTERNAL_TOPIC = 'topic!~"__.*"';

/** The series' label matches the variable's picked values (or All). */
export function byVar(label: string, variable = label): string {
  return `${label}=~"$${variable}"`;
}

/** A series selector: `metric{m1, m2}`, or `{m1, m2}` without a metric name. */
export function sel(metric: string, matchers: readonly string[] = []): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(', ')}}`;
}

/** A selector of several metrics at once, whose series then combine (e.g. produce + replication bytes). */
export function anyOf(metrics: readonly string[], matchers: readonly string[] = []): string {
  return `{${[`__name__=~"${metrics.join('|')}"`, ...matchers].join(', ')}}`;
}

/** Per-second rate of a counter selector over `$__rate_interval`. */
export function rate(selector: string): string {
  return `rate(${selector}[$__rate_interval])`;
}

/** `op by (labels) (expr)`. */
export function agg(op: 'sum' | 'max' | 'min' | 'avg' | 'count', by: readonly string[], expr: string): string {
  return `${op} by (${by.join(', ')}) (${expr})`;
}

/** `expr` with `label` set to `text` where the series has no such label (e.g. `(none)` for clients without a user). */
export function orNone(expr: string, label: string, text = '(none)'): string {
  return `label_replace(${expr}, "${label}", "${text}", "${label}", "")`;
}

/** A variable's query in Grafana's Prometheus variable syntax: the values of `label` over the series of `selector`. */
export function labelValues(selector: string, label: string): string {
  return `label_values(${selector}, ${label})`;
}

/**
 * `a + b` per label set, or whichever of the two a label set has. (One rate over both metrics
 * would not do: a rate drops the metric name, and Prometheus 2 refuses two series left with the
 * same labels.)
 */
export function plus(a: string, b: string): string {
  return `(${a} + ${b}) or ${a} or ${b}`;
}

/**
 * Broker utilization as the quota loop computes it (src/throttle/signals.ts): per (cluster,
 * broker) the largest of request handler busy (1 - idle), bytes in (produce + replication) over
 * the network-in capacity and bytes out over the network-out capacity. Each signal is tagged
 * with a `signal` label first, since `or` keeps only one series of each label set.
 */
export function utilization(matchers: readonly string[]): string {
  const by = ['cluster', 'broker'];
  const network = (direction: 'in' | 'out'): string => {
    const traffic = plus(
      agg('sum', by, rate(sel(`kafka_server_brokertopicmetrics_bytes${direction}_total`, [...matchers, 'topic=""']))),
      agg('sum', by, rate(sel(`kafka_server_brokertopicmetrics_replicationbytes${direction}_total`, matchers))),
    );
    const capacity = agg('max', by, sel('sluice_broker_network_capacity_bytes_per_second', [...matchers, `direction="${direction}"`]));
    return `label_replace((${traffic}) / on (cluster, broker) ${capacity}, "signal", "network_${direction}", "", "")`;
  };
  const busy = `label_replace(1 - ${agg('avg', by, sel('kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent', matchers))}, "signal", "handlers", "", "")`;
  return agg('max', by, `${busy} or ${network('in')} or ${network('out')}`);
}

/** The variables' matchers, by the label each narrows. */
export const CLUSTER = byVar('cluster');
export const BROKER = byVar('broker');
export const INSTANCE = byVar('instance');
export const GROUP = byVar('group');
export const USER = byVar('user');
export const CLIENT_ID = byVar('client_id');
export const SEVERITY = byVar('severity');
/** The picked topics, internal topics left out. */
export const TOPICS: readonly string[] = [byVar('topic'), NOT_INTERNAL_TOPIC];
