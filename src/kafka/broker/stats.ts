/**
 * Counters and latency reservoirs of one broker, kept as plain numbers on the hot path and
 * turned into exporter-style series only when the metrics endpoint is scraped.
 */

/** Per-topic traffic, as BrokerTopicMetrics counts it. */
export interface TopicCounters {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  totalProduceRequests: number;
  totalFetchRequests: number;
  failedProduceRequests: number;
  failedFetchRequests: number;
}

const RESERVOIR = 2048;
const RESERVOIR_MAX_AGE_MS = 60_000;

/** The last observations of one request metric, for percentiles over the last minute. */
export class Reservoir {
  private readonly values = new Float64Array(RESERVOIR);
  private readonly times = new Float64Array(RESERVOIR);
  private next = 0;
  private filled = 0;

  add(value: number, now: number): void {
    this.values[this.next] = value;
    this.times[this.next] = now;
    this.next = (this.next + 1) % RESERVOIR;
    if (this.filled < RESERVOIR) this.filled++;
  }

  /** Percentiles (0..1) of the observations younger than a minute; zeros when there are none. */
  quantiles(qs: readonly number[], now: number): number[] {
    const live: number[] = [];
    for (let i = 0; i < this.filled; i++) if (now - this.times[i]! <= RESERVOIR_MAX_AGE_MS) live.push(this.values[i]!);
    if (live.length === 0) return qs.map(() => 0);
    live.sort((a, b) => a - b);
    return qs.map((q) => live[Math.min(live.length - 1, Math.max(0, Math.ceil(q * live.length) - 1))]!);
  }

  /** Mean of the live observations. */
  mean(now: number): number {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < this.filled; i++) {
      if (now - this.times[i]! <= RESERVOIR_MAX_AGE_MS) {
        sum += this.values[i]!;
        n++;
      }
    }
    return n > 0 ? sum / n : 0;
  }
}

/** Request metrics of one API (RequestMetrics in Kafka). */
export interface RequestCounters {
  /** Requests by API version. */
  readonly byVersion: Map<number, number>;
  readonly totalTime: Reservoir;
  readonly queueTime: Reservoir;
  readonly localTime: Reservoir;
}

/** Every counter of one broker. */
export class BrokerStats {
  readonly topics = new Map<string, TopicCounters>();
  readonly requests = new Map<string, RequestCounters>();
  isrShrinks = 0;
  isrExpands = 0;
  leaderChanges = 0;
  replicationBytesIn = 0;
  replicationBytesOut = 0;
  storageErrors = 0;

  /** Counters of a topic, created on first use. */
  topic(name: string): TopicCounters {
    let t = this.topics.get(name);
    if (!t) {
      t = { bytesIn: 0, bytesOut: 0, messagesIn: 0, totalProduceRequests: 0, totalFetchRequests: 0, failedProduceRequests: 0, failedFetchRequests: 0 };
      this.topics.set(name, t);
    }
    return t;
  }

  /** Records one request's timing. */
  request(api: string, version: number, queueMs: number, localMs: number, totalMs: number, now: number): void {
    let r = this.requests.get(api);
    if (!r) {
      r = { byVersion: new Map(), totalTime: new Reservoir(), queueTime: new Reservoir(), localTime: new Reservoir() };
      this.requests.set(api, r);
    }
    r.byVersion.set(version, (r.byVersion.get(version) ?? 0) + 1);
    r.totalTime.add(totalMs, now);
    r.queueTime.add(queueMs, now);
    r.localTime.add(localMs, now);
  }
}
