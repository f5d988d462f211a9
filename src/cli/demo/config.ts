/**
 * The service configuration `sluice demo` runs: the demo cluster, the demo rule pack (the
 * shipped alerts with timings in seconds), notifications to the local mailbox and webhook log,
 * the quota loop in `auto` with a core and a general group, and the API. The timings are short
 * so that a story of a few minutes shows detection and reaction; they are demo settings, not
 * advice for a real cluster.
 */
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../../collect/index.ts';
import { parseSluiceConfig, type SluiceConfig } from '../../app-config.ts';

const KIB = 1024;

/** The demo's rule pack. */
export const DEMO_RULES = fileURLToPath(new URL('./rules.yaml', import.meta.url));

/**
 * The shipped governance pack, as it is: its recording rules fill the topics board's partition
 * sizes, and its alerts (partition size skew and oversized partitions over 10 GiB, leader skew
 * from 10 leaders a broker, each for 30 min or more) stay quiet on the demo's small cluster.
 */
export const DEMO_GOVERNANCE_RULES = fileURLToPath(new URL('../../../rules/kafka-governance.yaml', import.meta.url));

/** What each demo broker can do: 400 KiB/s in, so that one noisy producer can fill it. */
export const DEMO_CAPACITY = { networkInBytesPerSec: 400 * KIB } as const;

/** Seconds between the quota loop's rounds in the demo. */
export const DEMO_THROTTLE_INTERVAL = 5;

/** Where the demo's notifications go. */
export interface DemoNotifyTargets {
  readonly smarthost: string;
  readonly webhookUrl: string;
}

/** The demo's service config for `cluster`, before the environment (DATABASE_URL) is applied. */
export function demoServiceConfig(cluster: ClusterConfig, api: { port: number; host: string }, notify: DemoNotifyTargets | undefined): SluiceConfig {
  return parseSluiceConfig({
    store: {},
    clusters: [cluster],
    api,
    rules: { files: [DEMO_RULES, DEMO_GOVERNANCE_RULES], interval: 2 },
    ...(notify === undefined ? {} : {
      notify: {
        route: { receiver: 'oncall', group_by: ['alertname', 'cluster'], group_wait: '1s', group_interval: '5s', repeat_interval: '1h' },
        receivers: [{
          name: 'oncall',
          email_configs: [{ to: 'oncall@sluice.demo', from: 'sluice@sluice.demo', smarthost: notify.smarthost, require_tls: false, send_resolved: true }],
          webhook_configs: [{ url: notify.webhookUrl, send_resolved: true }],
        }],
        // A broker down explains its under-replicated partitions: page for the cause only.
        inhibit_rules: [{ source_matchers: ['alertname="KafkaBrokerDown"'], target_matchers: ['alertname="KafkaUnderReplicatedPartitions"'], equal: ['cluster'] }],
      },
    }),
    throttle: {
      mode: 'auto',
      interval: DEMO_THROTTLE_INTERVAL,
      window: 60,
      // At least two collection intervals of counter history behind each rate.
      rateWindow: 6,
      target: 0.7,
      groups: [
        { name: 'core', priority: 3, weight: 4, floor: 50 * KIB, match: [{ clientId: 'core-*' }] },
        { name: 'general', priority: 0, weight: 1, floor: 20 * KIB, match: [{}] },
      ],
      // The bundled brokers' queue time and latency p99 cover the last minute, which would keep
      // the cluster "pressured" for a minute after a burst or a returning broker's catch-up (and
      // limit every client over its share, consumers included); the demo steers by utilization.
      diagnosis: { maxQueueMs: 60_000, maxLatencyMs: 60_000 },
      guardrails: { cooldown: 2 * DEMO_THROTTLE_INTERVAL, minR2: 0 },
    },
  });
}
