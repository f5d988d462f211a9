/**
 * The progress line printed every few seconds, and the summary at the end. Pure: snapshots in,
 * text out. Rates are over the last interval; "asked" is what the schedule asked for in that
 * interval, "achieved" what the cluster acknowledged (producers) or what was read (consumers).
 * Throttle figures are the brokers' throttle_time_ms summed over the interval's Produce/Fetch
 * responses; lag is the group's committed lag as the cluster reports it.
 */
import { formatShortDuration } from '../duration.ts';
import type { ConsumerSnapshot } from './consumer-runner.ts';
import type { GroupLag } from './offsets.ts';
import type { ProducerSnapshot } from './producer-runner.ts';

/** Everything one status line is made from. */
export interface StatusSample {
  /** Wall run time, ms. */
  readonly elapsedMs: number;
  readonly timeScale: number;
  readonly producers: readonly ProducerSample[];
  readonly consumers: readonly ConsumerSample[];
}

/** A producer's counters, copied (throttle included) so that later changes do not alter them. */
export interface ProducerSample extends Omit<ProducerSnapshot, 'throttle'> {
  /** Bytes the schedule asked for so far (asked × size). */
  readonly askedBytes: number;
  readonly throttle: ThrottleSample;
}

/** A consumer group's counters and lag (undefined when the cluster could not say). */
export interface ConsumerSample extends Omit<ConsumerSnapshot, 'throttle'> {
  readonly lag?: GroupLag;
  readonly throttle: ThrottleSample;
}

/** Throttle counters at one moment. */
export interface ThrottleSample {
  readonly responses: number;
  readonly throttled: number;
  readonly totalMs: number;
  readonly maxMs: number;
}

/** Copies throttle counters. */
export function throttleSample(stats: ThrottleSample): ThrottleSample {
  return { responses: stats.responses, throttled: stats.throttled, totalMs: stats.totalMs, maxMs: stats.maxMs };
}

/** `bytes` per second the way people read it: `850 B`, `512.0 KiB`, `1.25 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

/** A message rate: one decimal below 10/s, whole numbers above. */
export function formatRate(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

function throttleText(prev: ThrottleSample | undefined, cur: ThrottleSample): string {
  const responses = cur.responses - (prev?.responses ?? 0);
  const throttled = cur.throttled - (prev?.throttled ?? 0);
  const total = cur.totalMs - (prev?.totalMs ?? 0);
  if (throttled === 0) return 'throttle 0ms';
  return `throttle ${Math.round(total)}ms in ${throttled}/${responses} responses`;
}

function producerText(prev: ProducerSample | undefined, cur: ProducerSample, seconds: number): string {
  const rate = (now: number, before: number | undefined): number => (now - (before ?? 0)) / seconds;
  const parts = [
    cur.id,
    `${formatRate(rate(cur.acked, prev?.acked))}/${formatRate(rate(cur.asked, prev?.asked))} msg/s`,
    `${formatBytes(rate(cur.ackedBytes, prev?.ackedBytes))}/${formatBytes(rate(cur.askedBytes, prev?.askedBytes))}/s`,
    throttleText(prev?.throttle, cur.throttle),
  ];
  const short = cur.shortfall - (prev?.shortfall ?? 0);
  if (short > 0) parts.push(`short ${short}`);
  const failed = cur.failed - (prev?.failed ?? 0);
  if (failed > 0) parts.push(`failed ${failed}`);
  return parts.join(' ');
}

function consumerText(prev: ConsumerSample | undefined, cur: ConsumerSample, seconds: number): string {
  const parts = [cur.id];
  const rate = (cur.consumed - (prev?.consumed ?? 0)) / seconds;
  const bytes = (cur.consumedBytes - (prev?.consumedBytes ?? 0)) / seconds;
  if (cur.running === 0 && rate === 0) parts.push('stopped');
  else parts.push(`${formatRate(rate)}/${cur.rateCap > 0 ? formatRate(cur.rateCap) : 'max'} msg/s`, `${formatBytes(bytes)}/s`);
  parts.push(cur.lag === undefined ? 'lag ?' : `lag ${cur.lag.lag}`);
  parts.push(throttleText(prev?.throttle, cur.throttle));
  const errors = cur.errors - (prev?.errors ?? 0);
  if (errors > 0) parts.push(`errors ${errors}`);
  return parts.join(' ');
}

/** When a run has reached: `[25s]`, or `[25s = 10h0m0s]` with the scenario time when scaled. */
export function timeLabel(elapsedMs: number, timeScale: number): string {
  const wall = formatShortDuration(elapsedMs);
  return timeScale === 1 ? `[${wall}]` : `[${wall} = ${formatShortDuration(elapsedMs * timeScale)}]`;
}

/** One status line: every producer then every consumer group, over the interval since `prev`. */
export function formatStatus(prev: StatusSample | undefined, cur: StatusSample): string {
  const seconds = Math.max(0.001, (cur.elapsedMs - (prev?.elapsedMs ?? 0)) / 1000);
  const producers = cur.producers.map((p) => producerText(prev?.producers.find((q) => q.id === p.id), p, seconds));
  const consumers = cur.consumers.map((c) => consumerText(prev?.consumers.find((q) => q.id === c.id), c, seconds));
  const clients = [...producers, ...consumers];
  return `${timeLabel(cur.elapsedMs, cur.timeScale)} ${clients.length === 0 ? 'no clients' : clients.join(' | ')}`;
}

/** The closing line: totals over the whole run. */
export function formatSummary(name: string, reason: string, sample: StatusSample): string {
  const producers = sample.producers.map((p) => {
    const percent = p.asked === 0 ? 100 : (100 * p.acked) / p.asked;
    return `${p.id} acked ${p.acked} of ${p.asked} asked (${percent.toFixed(1)}%), failed ${p.failed}, short ${p.shortfall}`;
  });
  const consumers = sample.consumers.map((c) => `${c.id} consumed ${c.consumed}, lag ${c.lag === undefined ? '?' : c.lag.lag}`);
  const clients = [...producers, ...consumers];
  return `sluice workload: ${name} ${reason} after ${formatShortDuration(sample.elapsedMs)}${clients.length === 0 ? '' : `: ${clients.join('; ')}`}`;
}
