/**
 * The host collector: node_exporter endpoints of the broker hosts. Stores the node_exporter
 * series it needs as they are (`node_cpu_seconds_total`, `node_load1`/`5`/`15`,
 * `node_memory_MemAvailable_bytes`, `node_memory_MemTotal_bytes`, `node_filesystem_size_bytes`,
 * `node_filesystem_avail_bytes`, `node_network_receive_bytes_total`,
 * `node_network_transmit_bytes_total`) with `cluster` and `instance` (the endpoint's host:port),
 * and derives `sluice_host_cpu_utilization{mode}`: the share (0..1) of CPU time spent in each mode
 * between this scrape and the previous one, over all CPUs of the host.
 */
import type { Sample } from '../store/types.ts';
import type { ClusterConfig } from './config.ts';
import { ScrapeCache } from './exporter.ts';
import { instanceOf, type ScrapedSample } from './scrape.ts';
import type { CollectContext, CollectIssue, CollectResult, Collector } from './types.ts';

/** node_exporter series kept. */
export const HOST_SERIES = new Set([
  'node_cpu_seconds_total', 'node_load1', 'node_load5', 'node_load15', 'node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes',
  'node_filesystem_size_bytes', 'node_filesystem_avail_bytes', 'node_network_receive_bytes_total', 'node_network_transmit_bytes_total',
]);

/** Seconds per mode summed over CPUs. */
function cpuByMode(samples: readonly ScrapedSample[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) if (s.name === 'node_cpu_seconds_total' && s.labels.mode !== undefined) out.set(s.labels.mode, (out.get(s.labels.mode) ?? 0) + s.value);
  return out;
}

/**
 * CPU utilization by mode from two readings of per-mode seconds: each mode's delta over the sum
 * of deltas. Undefined when nothing moved or a counter went back (host restarted).
 */
export function cpuUtilization(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> | undefined {
  const deltas = new Map<string, number>();
  let total = 0;
  for (const [mode, v] of after) {
    const d = v - (before.get(mode) ?? v);
    if (d < 0) return undefined;
    deltas.set(mode, d);
    total += d;
  }
  if (total <= 0) return undefined;
  return new Map([...deltas].map(([mode, d]) => [mode, d / total]));
}

/** The host collector of one cluster. */
export class HostCollector implements Collector {
  readonly name = 'host';
  readonly cluster: string;
  readonly intervalMs: number;
  private readonly previous = new Map<string, Map<string, number>>();

  private readonly scrapes: ScrapeCache;

  /** `scrapes`: scrapes shared with the cluster's other collectors, for hosts that are also exporter endpoints (default: its own). */
  constructor(private readonly config: ClusterConfig, scrapes?: ScrapeCache) {
    this.cluster = config.name;
    this.scrapes = scrapes ?? new ScrapeCache(0);
    this.intervalMs = config.intervals.host * 1000;
  }

  async collect({ nowMs }: CollectContext): Promise<CollectResult> {
    const cluster = this.cluster;
    const samples: Sample[] = [];
    const errors: CollectIssue[] = [];
    await Promise.all(this.config.hosts.map(async (url) => {
      let scraped: readonly ScrapedSample[];
      try {
        scraped = await this.scrapes.get(url, this.config.timeouts.scrapeMs, this);
      } catch (err) {
        errors.push({ op: 'scrape', subject: url, message: (err as Error).message });
        return;
      }
      const instance = instanceOf(url);
      for (const s of scraped) {
        if (HOST_SERIES.has(s.name) && Number.isFinite(s.value)) samples.push({ metric: s.name, labels: { ...s.labels, cluster, instance }, ts: nowMs, value: s.value });
      }
      const cpu = cpuByMode(scraped);
      const before = this.previous.get(url);
      this.previous.set(url, cpu);
      const util = before && cpuUtilization(before, cpu);
      if (util) for (const [mode, value] of util) samples.push({ metric: 'sluice_host_cpu_utilization', labels: { cluster, instance, mode }, ts: nowMs, value });
    }));
    return { samples, errors };
  }
}
