/**
 * The client collector: per user / client-id traffic, throttling and quota use. Rates come from
 * the brokers' exporter series (`kafka_server_{produce,fetch}_byte_rate`,
 * `kafka_server_request_request_time`, `kafka_server_{produce,fetch,request}_throttle_time`),
 * the configured quotas from DescribeClientQuotas.
 *
 * Series (all with `cluster`, `user` and `client_id` as the broker tags them, '' left out):
 * - `sluice_client_produce_byte_rate`, `sluice_client_fetch_byte_rate`,
 *   `sluice_client_request_time_percent`: summed over brokers (the entity's whole traffic);
 * - `sluice_client_{produce,fetch,request}_throttle_time_ms`: the largest over brokers;
 * - `sluice_client_quota{quota}`: each configured quota entity's value (`<default>` for a
 *   default entity);
 * - `sluice_client_quota_utilization{quota}`: rate / the quota that applies, by Kafka's
 *   precedence. Kafka enforces a quota on each broker separately, so this is the largest
 *   per-broker rate over the quota: 1 means some broker holds the client at its quota.
 */
import type { KafkaAdmin } from '../kafka/admin.ts';
import { QuotaTable } from '../kafka/quota.ts';
import type { Sample } from '../store/types.ts';
import type { ClusterConfig } from './config.ts';
import { ScrapeCache, scrapeBrokers } from './exporter.ts';
import type { CollectContext, CollectIssue, CollectResult, Collector } from './types.ts';

/** Exporter series → (derived name, how brokers combine, the quota key it is measured against). */
const SOURCES: Readonly<Record<string, { metric: string; combine: 'sum' | 'max'; quota?: string }>> = {
  kafka_server_produce_byte_rate: { metric: 'sluice_client_produce_byte_rate', combine: 'sum', quota: 'producer_byte_rate' },
  kafka_server_fetch_byte_rate: { metric: 'sluice_client_fetch_byte_rate', combine: 'sum', quota: 'consumer_byte_rate' },
  kafka_server_request_request_time: { metric: 'sluice_client_request_time_percent', combine: 'sum', quota: 'request_percentage' },
  kafka_server_produce_throttle_time: { metric: 'sluice_client_produce_throttle_time_ms', combine: 'max' },
  kafka_server_fetch_throttle_time: { metric: 'sluice_client_fetch_throttle_time_ms', combine: 'max' },
  kafka_server_request_throttle_time: { metric: 'sluice_client_request_throttle_time_ms', combine: 'max' },
};

interface Entity { combined: number; perBrokerMax: number }

/** The client collector of one cluster. */
export class ClientCollector implements Collector {
  readonly name = 'clients';
  readonly cluster: string;
  readonly intervalMs: number;

  private readonly scrapes: ScrapeCache;

  /** `scrapes`: exporter scrapes shared with the cluster's other collectors (default: its own). */
  constructor(private readonly config: ClusterConfig, private readonly admin: KafkaAdmin, scrapes?: ScrapeCache) {
    this.cluster = config.name;
    this.scrapes = scrapes ?? new ScrapeCache(0);
    this.intervalMs = config.intervals.clients * 1000;
  }

  async collect({ nowMs }: CollectContext): Promise<CollectResult> {
    const cluster = this.cluster;
    const samples: Sample[] = [];
    const errors: CollectIssue[] = [];
    const [scraped, quotas] = await Promise.all([scrapeBrokers(this.config.metrics, this.config.timeouts.scrapeMs, { cache: this.scrapes, consumer: this }), this.admin.describeClientQuotas()]);
    errors.push(...scraped.errors, ...quotas.errors);

    // metric → entity key (JSON of [user, client]: ids are free-form, NUL included) → combined values
    const byMetric = new Map<string, Map<string, Entity>>();
    for (const s of scraped.scrapes) {
      for (const x of s.samples) {
        const source = SOURCES[x.name];
        if (source === undefined || !Number.isFinite(x.value)) continue;
        let entities = byMetric.get(x.name);
        if (!entities) byMetric.set(x.name, (entities = new Map()));
        const key = JSON.stringify([x.labels.user ?? '', x.labels.client_id ?? '']);
        const e = entities.get(key) ?? { combined: source.combine === 'sum' ? 0 : -Infinity, perBrokerMax: -Infinity };
        e.combined = source.combine === 'sum' ? e.combined + x.value : Math.max(e.combined, x.value);
        e.perBrokerMax = Math.max(e.perBrokerMax, x.value);
        entities.set(key, e);
      }
    }

    const store = QuotaTable.of(quotas.value);
    for (const q of quotas.value) {
      const labels: Record<string, string> = { cluster };
      for (const c of q.entity) labels[c.entityType === 'user' ? 'user' : 'client_id'] = c.entityName ?? '<default>';
      for (const [quota, value] of Object.entries(q.values)) samples.push({ metric: 'sluice_client_quota', labels: { ...labels, quota }, ts: nowMs, value });
    }

    for (const [name, entities] of byMetric) {
      const source = SOURCES[name]!;
      for (const [key, e] of entities) {
        const [user, clientId] = JSON.parse(key) as [string, string];
        const labels = { cluster, user, client_id: clientId };
        samples.push({ metric: source.metric, labels, ts: nowMs, value: e.combined });
        if (source.quota === undefined || quotas.errors.length > 0) continue;
        const applies = store.lookup(user, clientId, source.quota);
        if (applies === undefined || applies.value <= 0) continue;
        samples.push({ metric: 'sluice_client_quota_utilization', labels: { ...labels, quota: source.quota }, ts: nowMs, value: e.perBrokerMax / applies.value });
      }
    }
    return { samples, errors };
  }
}
