/**
 * The figures of one run, worked out from what it recorded. Pure. Times are seconds since the
 * workload's start; the burst window is the scenario's burst (or, for a day, the part of the day
 * whose offered load is over the target).
 *
 * - goodput: acknowledged produced bytes plus consumed bytes, per second, over the run and over
 *   the burst;
 * - utilization: the busiest broker's, sampled each second over the bench's measuring window
 *   (--measure-window, 5 s unless given; not the loop's rate window);
 * - core served: core producers' acknowledged ÷ asked bytes over the run; core p99: the worst
 *   core producer's p99 of its messages' acknowledge latency (send to acknowledgement, measured
 *   by the producer) during the burst;
 * - groups: each consumer group's read bytes/s during the burst, also without the topics a
 *   bursting producer writes (what the group reads there follows the burst, not its own quota);
 * - rounds to contain: the loop's rounds (for runs without the loop, the times its rounds would
 *   have had) from the burst's start until the last second over the target in the burst is past,
 *   0 when never over, none when the burst ends over the target; also (reported, not a goal) the
 *   same on each second's mean over the brokers' quota window (`quotaWindowS`; Kafka's is 11 s);
 * - rounds to release: rounds from the burst's end until the last change that brought every
 *   quota Sluice set back to what was there before (none while one is left at the end);
 * - changes per client: Sluice's applied changes to each client's quotas from the burst's start
 *   until released (or the end);
 * - model error: p90 of the round plans' one-round-ahead prediction errors, in utilization points.
 */
import { EMPTY_LATENCY, latencyBetween, latencyQuantile, mergeLatency, type LatencySnapshot } from '../../src/workload/latency.ts';
import type { ProducerSample, StatusSample } from '../../src/workload/status.ts';
import type { Sample } from './measure.ts';
import type { Mode, RunRecord } from './run.ts';
import { isCore, noisyClients, noisyTopics } from './shape.ts';

/** One consumer group's throughput. */
export interface GroupFigures {
  readonly id: string;
  readonly noisy: boolean;
  /** Whether it reads a topic a bursting producer writes. */
  readonly readsBurstTopic: boolean;
  /** Bytes/s over the run. */
  readonly runBytesPerSec: number;
  /** Bytes/s during the burst. */
  readonly burstBytesPerSec: number;
  /** Bytes/s during the burst on topics no bursting producer writes. */
  readonly burstOwnBytesPerSec: number;
}

/** Rounds and seconds from a burst's start until the busiest broker stays at or under the target. */
export interface Containment { readonly rounds: number | null; readonly seconds: number | null; readonly neverOver: boolean }

/** The figures of one run. */
export interface RunFigures {
  readonly mode: Mode;
  readonly goodput: { readonly runBytesPerSec: number; readonly burstBytesPerSec: number; readonly offeredBytesPerSec: number };
  readonly utilization: { readonly burstMean: number; readonly burstPeak: number; readonly runPeak: number; readonly secondsOverTarget: number };
  readonly core: {
    readonly served: number;
    /** The worst core producer's acknowledge latency p99 during the burst, ms (undefined: none acknowledged). */
    readonly burstP99Ms: number | undefined;
    /** The same over every core message of the burst together, and over the run. */
    readonly burstP99MsAll: number | undefined;
    readonly runP99Ms: number | undefined;
    /** Mean over the burst's seconds of the worst broker's Produce total time p99, ms. */
    readonly brokerProduceP99Ms: number;
    readonly throttledResponses: number;
  };
  /** Bursting producers' acknowledged ÷ asked bytes during the burst (undefined: none). */
  readonly noisyProducersServed: number | undefined;
  readonly groups: readonly GroupFigures[];
  readonly contain: Containment;
  /**
   * The same, on the mean of the utilization samples over Kafka's quota window (11 s) up to each
   * second: a client throttled by a byte-rate quota and holding a backlog sends in bursts over
   * that window, so per-second samples swing around the window's mean. Reported, not a goal.
   */
  readonly containQuotaWindow: Containment;
  /** Auto runs: rounds to release (null: a quota was left at the end), whether Sluice set any. */
  readonly release: { readonly rounds: number | null; readonly seconds: number | null; readonly quotasSet: boolean } | undefined;
  /** Auto runs: applied changes per client (entity) during the burst episode. */
  readonly changesPerClient: Readonly<Record<string, number>> | undefined;
  /** Whether a core client had a quota: static runs by construction, auto runs if Sluice gave one. */
  readonly coreQuota: boolean;
  /** Auto runs: one-round-ahead model error p90, utilization points (undefined: no checks). */
  readonly modelError: { readonly p90Points: number | undefined; readonly checks: number } | undefined;
  /** Entities with a byte-rate quota when the workload ended. */
  readonly quotasAtEnd: number;
  readonly staticShare?: RunRecord['staticShare'];
  readonly rounds: number;
  readonly wallS: number;
}

/** The counters of the first sample at or after `t` (zero before the first). */
function countersAt(samples: readonly Sample[], t: number): { t: number; clients: StatusSample | undefined } {
  if (t <= 0) return { t: 0, clients: undefined };
  const s = samples.find((x) => x.t >= t - 0.05) ?? samples.at(-1);
  return s === undefined ? { t: 0, clients: undefined } : { t: s.t, clients: s.clients };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const producerBytes = (c: StatusSample | undefined, pick: (p: ProducerSample) => boolean = () => true): number => sum((c?.producers ?? []).filter(pick).map((p) => p.ackedBytes));
const consumerBytes = (c: StatusSample | undefined): number => sum((c?.consumers ?? []).map((g) => g.consumedBytes));

/** The p-quantile (0..1) by nearest rank; undefined for none. */
export function quantile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** Round times in seconds since the workload's start: the loop's, or where its rounds would have fallen. */
function roundTimes(record: RunRecord, intervalS: number): number[] {
  const toT = (at: number) => (at - record.startedAtMs) / 1000;
  if (record.rounds.length > 0) return record.rounds.map((r) => toT(r.at));
  const times: number[] = [];
  for (let at = record.appStartedAtMs + intervalS * 1000; toT(at) <= record.shape.durationS; at += intervalS * 1000) times.push(toT(at));
  return times;
}

/**
 * Each sample's utilization as the mean of the samples of the `windowS` seconds up to it (itself
 * alone for 1 s): what a broker's quota, which measures rates over its window, holds a client to.
 */
function trailingMean(samples: readonly Pick<Sample, 't' | 'utilization'>[], windowS: number): number[] {
  const out: number[] = [];
  let from = 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    sum += samples[i]!.utilization;
    while (samples[from]!.t <= samples[i]!.t - windowS) sum -= samples[from++]!.utilization;
    out.push(sum / (i - from + 1));
  }
  return out;
}

function containment(record: RunRecord, target: number, rounds: readonly number[], windowS = 1): Containment {
  const { atS, forS } = record.shape.burst;
  const smoothed = trailingMean(record.samples, windowS);
  const burst = record.samples.map((s, i) => ({ t: s.t, utilization: smoothed[i]! })).filter((s) => s.t >= atS && s.t <= atS + forS);
  let lastOver = -1;
  burst.forEach((s, i) => { if (s.utilization > target) lastOver = i; });
  if (lastOver < 0) return { rounds: 0, seconds: 0, neverOver: true };
  const after = burst[lastOver + 1];
  if (after === undefined) return { rounds: null, seconds: null, neverOver: false };
  return { rounds: rounds.filter((t) => t > atS && t <= after.t).length, seconds: after.t - atS, neverOver: false };
}

function release(record: RunRecord, rounds: readonly number[]): { release: RunFigures['release']; until: number } {
  const end = record.shape.burst.atS + record.shape.burst.forS;
  const toT = (at: number) => (at - record.startedAtMs) / 1000;
  const baseline = new Map<string, number | null>();
  const current = new Map<string, number | null>();
  for (const c of record.changes) {
    const key = `${c.entityKey}|${c.quotaKey}`;
    if (!baseline.has(key)) baseline.set(key, c.oldValue);
    current.set(key, c.newValue);
  }
  if (current.size === 0) return { release: { rounds: 0, seconds: 0, quotasSet: false }, until: record.shape.durationS };
  const left = [...current].some(([key, value]) => value !== baseline.get(key));
  if (left) return { release: { rounds: null, seconds: null, quotasSet: true }, until: record.shape.durationS };
  const last = toT(Math.max(...record.changes.map((c) => c.ts)));
  if (last <= end) return { release: { rounds: 0, seconds: 0, quotasSet: true }, until: last };
  return { release: { rounds: rounds.filter((t) => t > end && t <= last).length, seconds: last - end, quotasSet: true }, until: last };
}

/** The figures of `record`. */
export function figuresOf(record: RunRecord, target: number, intervalS: number, quotaWindowS: number): RunFigures {
  const { shape, samples, summary } = record;
  const { def } = shape;
  const { atS, forS } = shape.burst;
  const noisy = noisyClients(def);
  const skipTopics = noisyTopics(def);
  const rounds = roundTimes(record, intervalS);
  const from = countersAt(samples, atS);
  const to = countersAt(samples, atS + forS);
  const burstS = Math.max(0.001, to.t - from.t);
  const runEnd = samples.at(-1);
  const runS = Math.max(0.001, runEnd?.t ?? shape.durationS);

  const burst = samples.filter((s) => s.t >= atS && s.t <= atS + forS);
  const coreProducers = summary.sample.producers.filter((p) => isCore(p.id));
  const latencyOf = (c: StatusSample | undefined, id: string): LatencySnapshot => c?.producers.find((p) => p.id === id)?.ackLatency ?? EMPTY_LATENCY;
  const burstLatency = coreProducers.map((p) => latencyBetween(latencyOf(to.clients, p.id), latencyOf(from.clients, p.id)));
  const burstP99s = burstLatency.map((l) => latencyQuantile(l, 0.99)).filter((x): x is number => x !== undefined);
  const noisyAsked = sum((to.clients?.producers ?? []).filter((p) => noisy.has(p.id)).map((p) => p.askedBytes)) - sum((from.clients?.producers ?? []).filter((p) => noisy.has(p.id)).map((p) => p.askedBytes));
  const noisyAcked = producerBytes(to.clients, (p) => noisy.has(p.id)) - producerBytes(from.clients, (p) => noisy.has(p.id));

  const groups = def.consumers.map((c): GroupFigures => {
    const at = (x: StatusSample | undefined) => x?.consumers.find((g) => g.id === c.id);
    const own = (x: StatusSample | undefined) => sum(Object.entries(at(x)?.consumedBytesByTopic ?? {}).filter(([topic]) => !skipTopics.has(topic)).map(([, b]) => b));
    return {
      id: c.id, noisy: noisy.has(c.id), readsBurstTopic: c.topics.some((t) => skipTopics.has(t)),
      runBytesPerSec: (at(runEnd?.clients)?.consumedBytes ?? 0) / runS,
      burstBytesPerSec: ((at(to.clients)?.consumedBytes ?? 0) - (at(from.clients)?.consumedBytes ?? 0)) / burstS,
      burstOwnBytesPerSec: (own(to.clients) - own(from.clients)) / burstS,
    };
  });

  const auto = record.mode === 'auto';
  const { release: released, until } = release(record, rounds);
  const changesPerClient: Record<string, number> = {};
  for (const c of record.changes) {
    const t = (c.ts - record.startedAtMs) / 1000;
    if (t >= atS && t <= until) changesPerClient[c.entityKey] = (changesPerClient[c.entityKey] ?? 0) + 1;
  }
  const checks = record.rounds.filter((r) => r.at >= record.startedAtMs).flatMap((r) => r.modelCheck.map((m) => 100 * m.error));
  const byteRate = (q: RunRecord['quotasAtEnd'][number]) => 'producer_byte_rate' in q.values || 'consumer_byte_rate' in q.values;

  return {
    mode: record.mode,
    goodput: {
      runBytesPerSec: (producerBytes(runEnd?.clients) + consumerBytes(runEnd?.clients)) / runS,
      burstBytesPerSec: (producerBytes(to.clients) - producerBytes(from.clients) + consumerBytes(to.clients) - consumerBytes(from.clients)) / burstS,
      offeredBytesPerSec: sum(summary.sample.producers.map((p) => p.askedBytes)) / (summary.sample.elapsedMs / 1000),
    },
    utilization: {
      burstMean: sum(burst.map((s) => s.utilization)) / Math.max(1, burst.length),
      burstPeak: Math.max(0, ...burst.map((s) => s.utilization)),
      runPeak: Math.max(0, ...samples.map((s) => s.utilization)),
      secondsOverTarget: samples.filter((s) => s.utilization > target).length,
    },
    core: {
      served: sum(coreProducers.map((p) => p.ackedBytes)) / Math.max(1, sum(coreProducers.map((p) => p.askedBytes))),
      burstP99Ms: burstP99s.length === 0 ? undefined : Math.max(...burstP99s),
      burstP99MsAll: latencyQuantile(mergeLatency(burstLatency), 0.99),
      runP99Ms: latencyQuantile(mergeLatency(coreProducers.map((p) => p.ackLatency)), 0.99),
      brokerProduceP99Ms: sum(burst.map((s) => s.produceP99Ms)) / Math.max(1, burst.length),
      throttledResponses: sum(summary.sample.producers.filter((p) => isCore(p.id)).map((p) => p.throttle.throttled)) + sum(summary.sample.consumers.filter((c) => isCore(c.id)).map((c) => c.throttle.throttled)),
    },
    noisyProducersServed: noisyAsked > 0 ? noisyAcked / noisyAsked : undefined,
    groups,
    contain: containment(record, target, rounds),
    containQuotaWindow: containment(record, target, rounds, quotaWindowS),
    release: auto ? released : undefined,
    changesPerClient: auto ? changesPerClient : undefined,
    coreQuota: record.mode === 'static' || record.changes.some((c) => c.newValue !== null && /(^|,)client-id=core-/.test(c.entityKey)),
    modelError: auto ? { p90Points: quantile(checks, 0.9), checks: checks.length } : undefined,
    quotasAtEnd: record.quotasAtEnd.filter(byteRate).length,
    ...(record.staticShare === undefined ? {} : { staticShare: record.staticShare }),
    rounds: record.rounds.filter((r) => r.at >= record.startedAtMs).length,
    wallS: record.wallS,
  };
}
