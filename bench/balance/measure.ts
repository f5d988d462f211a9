/**
 * What the bench measures on the brokers: each broker's bytes in (produced to it as a leader plus
 * replicated into it as a follower: the growth of the replicas it holds, as its exporter reports
 * them) over a window, from two scrapes of its metrics endpoint; and, while a plan executes, the partitions under min ISR and the
 * under-replicated ones at each poll of Metadata.
 */
import type { KafkaAdmin } from '../../src/kafka/admin.ts';
import { MIN_ISR, TOPICS } from './scenario.ts';

/** One broker's metrics endpoint. */
export interface Endpoint {
  readonly broker: number;
  readonly url: string;
}

const TOPIC_NAMES = new Set(TOPICS.map((t) => t.name));

/** Bytes of the bench topics' replicas a broker holds now (its exporter's `kafka_log_log_size`). */
async function replicaBytes(url: string): Promise<number> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`scrape ${url}: HTTP ${res.status}`);
  const text = await res.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^kafka_log_log_size\{([^}]*)\}\s+([0-9.eE+-]+)$/.exec(line);
    const topic = m === null ? undefined : /topic="([^"]*)"/.exec(m[1]!)?.[1];
    if (topic !== undefined && TOPIC_NAMES.has(topic)) sum += Number(m![2]);
  }
  return sum;
}

/**
 * Per-broker bytes in (bytes/s) over the `seconds` from now: the growth of the bench topics'
 * replicas on each broker, i.e. what it takes in as a leader from producers and as a follower by
 * replication. The brokers' all-topics counters would add __consumer_offsets (offset commits
 * and their replication), which no plan moves.
 */
export async function measureBytesIn(endpoints: readonly Endpoint[], seconds: number): Promise<Map<number, number>> {
  const first = await Promise.all(endpoints.map((e) => replicaBytes(e.url)));
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const second = await Promise.all(endpoints.map((e) => replicaBytes(e.url)));
  const dt = (performance.now() - t0) / 1000;
  return new Map(endpoints.map((e, i) => [e.broker, (second[i]! - first[i]!) / dt]));
}

/** What the ISR poller saw. */
export interface IsrWatch {
  polls: number;
  failedPolls: number;
  /** Polls at which some partition's ISR was below min.insync.replicas. */
  pollsUnderMinIsr: number;
  /** Every partition seen under min ISR at some poll. */
  readonly underMinIsr: Set<string>;
  /** Partitions seen with a replica out of the ISR (a reassignment's new replica catching up counts). */
  readonly underReplicated: Set<string>;
  stop(): Promise<void>;
}

/** Polls Metadata every `everyMs` until stopped. */
export function watchIsr(admin: KafkaAdmin, everyMs: number): IsrWatch {
  const names = new Set(TOPICS.map((t) => t.name));
  let running = true;
  const watch: IsrWatch = {
    polls: 0, failedPolls: 0, pollsUnderMinIsr: 0, underMinIsr: new Set(), underReplicated: new Set(),
    stop: async () => {
      running = false;
      await loop;
    },
  };
  const loop = (async () => {
    while (running) {
      try {
        const meta = await admin.metadata();
        let under = false;
        for (const [name, t] of meta.topics) {
          if (!names.has(name)) continue;
          for (const p of t.partitions) {
            const key = `${name}-${p.partition}`;
            if (p.isr.length < MIN_ISR || p.leader < 0) { watch.underMinIsr.add(key); under = true; }
            if (p.isr.length < p.replicas.length) watch.underReplicated.add(key);
          }
        }
        watch.polls++;
        if (under) watch.pollsUnderMinIsr++;
      } catch {
        watch.failedPolls++;
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return watch;
}

/** max/min and the population standard deviation of `values`. */
export function spread(values: readonly number[]): { max: number; min: number; ratio: number; mean: number; std: number } {
  const max = Math.max(...values);
  const min = Math.min(...values);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { max, min, ratio: min > 0 ? max / min : Infinity, mean, std };
}
