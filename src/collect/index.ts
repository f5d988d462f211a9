/**
 * The collectors: the contract (types.ts), the scheduler, the config, and one collector per
 * concern for each configured cluster. `buildCollectors` makes the four collectors of every
 * cluster with one admin client per cluster, shared by them and closed with them, and one
 * scrape cache per cluster, so that each exporter endpoint is scraped once per cycle.
 */
import { KafkaAdmin } from '../kafka/admin.ts';
import { Counter, type Registry } from 'prom-client';
import { EventRecorder } from '../store/events.ts';
import type { Clock } from '../clock.ts';
import { claimClusterBrokers, forgetClusterBrokers, listClusterBrokers } from '../store/brokers.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Queryable } from '../store/types.ts';
import { adminOptionsOf, type CollectConfig } from './config.ts';
import { ClusterCollector } from './cluster.ts';
import { TopicCollector, type TopicCollectorOptions } from './topics.ts';
import { ClientCollector } from './clients.ts';
import { HostCollector } from './host.ts';
import { ScrapeCache } from './exporter.ts';
import type { Collector, EventSink, KnownBrokerStore } from './types.ts';

export * from './types.ts';
export { CollectScheduler, type SchedulerOptions } from './scheduler.ts';
export { checkBootstrap, clusterConfigSchema, collectConfigSchema, parseCollectConfig, type ClusterConfig, type CollectConfig } from './config.ts';
export { ClusterCollector, partitionHealth, type ClusterReachability } from './cluster.ts';
export { brokerLiveness, memoryKnownBrokers, type BrokerLiveness, type ClusterView } from './brokers.ts';
export { TopicCollector, type TopicCollectorOptions } from './topics.ts';
export { ClientCollector } from './clients.ts';
export { HostCollector, cpuUtilization } from './host.ts';
export { parsePrometheusText, scrape } from './scrape.ts';
export { ScrapeCache, scrapeBrokers, type BrokerScrape, type SharedScrapes } from './exporter.ts';

/**
 * The store's events table as an EventSink that keeps events through database outages (see
 * EventRecorder); events it has to drop are counted in `sluice_events_dropped_total` and logged.
 * `close` makes one last attempt.
 */
export function dbEventSink(db: Queryable, deps: { registry?: Registry; logger?: Logger; clock?: Clock } = {}): EventSink & { close(): Promise<void> } {
  const dropped = deps.registry === undefined ? undefined
    : (deps.registry.getSingleMetric('sluice_events_dropped_total') as Counter | undefined)
      ?? new Counter({ name: 'sluice_events_dropped_total', help: 'Events (leader changes, broker up/down) dropped: the database was unreachable and the buffer full, or still unreachable at stop', registers: [deps.registry] });
  const recorder = new EventRecorder(db, {
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    onError: (err, pending) => deps.logger?.warn({ err, pending }, 'events not stored yet: the database did not take them; retrying'),
    onDrop: (count) => {
      dropped?.inc(count);
      deps.logger?.error({ count }, 'events dropped');
    },
  });
  return { record: (events) => recorder.record(events), close: () => recorder.close() };
}

/** The store's `cluster_brokers` table as the cluster collectors' durable list of known brokers. */
export function dbKnownBrokers(db: Queryable): KnownBrokerStore {
  return {
    list: (cluster) => listClusterBrokers(db, cluster),
    claim: (cluster, brokers, atMs) => claimClusterBrokers(db, cluster, brokers, atMs),
    forget: async (cluster, brokers) => {
      await forgetClusterBrokers(db, cluster, brokers);
    },
  };
}

/** What `buildCollectors` may be given besides the config. */
export interface BuildCollectorsOptions {
  readonly topics?: TopicCollectorOptions;
  /** Where the cluster collectors keep known brokers across restarts (default: memory). */
  readonly knownBrokers?: KnownBrokerStore;
}

/** Host, cluster, topic/group and client collectors of every cluster in `config`. */
export function buildCollectors(config: CollectConfig, options: BuildCollectorsOptions = {}): Collector[] {
  const out: Collector[] = [];
  for (const cluster of config.clusters) {
    const admin = new KafkaAdmin(adminOptionsOf(cluster));
    // One scrape of each exporter endpoint per cycle, shared by the collectors that read it.
    const scrapes = new ScrapeCache();
    const collectors: Collector[] = [
      new ClusterCollector(cluster, admin, scrapes, options.knownBrokers),
      new TopicCollector(cluster, admin, options.topics),
      new ClientCollector(cluster, admin, scrapes),
    ];
    if (cluster.hosts.length > 0) collectors.push(new HostCollector(cluster, scrapes));
    // The admin client is shared: the first collector's close releases it, after the
    // collector's own (the topic collector's __consumer_offsets reader).
    let closed = false;
    const closeAdmin = async (): Promise<void> => {
      if (!closed) {
        closed = true;
        await admin.close();
      }
    };
    for (const c of collectors) {
      const own = c.close?.bind(c);
      (c as { close?: () => Promise<void> }).close = async () => {
        await own?.();
        await closeAdmin();
      };
    }
    out.push(...collectors);
  }
  return out;
}
