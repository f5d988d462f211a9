/**
 * One scenario producer: a @platformatic/kafka Producer paced by schedule. Every tick it asks the
 * Pacer how many messages are due and sends them in small batches, with a few sends in flight at
 * most; when the cluster is slower than the schedule the backlog stops at one second's worth and
 * the rest is counted as shortfall, never sent in a burst later.
 */
import { ProduceAcks, Producer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { describeError, hardenClient, type ClusterAccess } from './cluster.ts';
import { LatencyHistogram, type LatencySnapshot } from './latency.ts';
import { MessageFactory } from './messages.ts';
import { Pacer, scheduledCount, type RatePlan } from './pacing.ts';
import type { ProducerSpec } from './scenario.ts';
import { ThrottleStats, type ThrottleMonitor } from './throttle.ts';

/** Time between pacing ticks: short, so that batches stay small and sends smooth. */
export const TICK_MS = 10;
/** Sends in flight per producer before the backlog waits. */
export const MAX_IN_FLIGHT = 4;
/** Largest batch of one send, in bytes of values (and at most MAX_BATCH_MESSAGES messages). */
const MAX_BATCH_BYTES = 64 * 1024;
const MAX_BATCH_MESSAGES = 500;
/** Backlog kept when sends fall behind, in ms of schedule. */
export const MAX_BACKLOG_MS = 1000;
/** How long `stop` waits for sends in flight. */
const STOP_WAIT_MS = 5000;
/** A failing producer logs at most once this often. */
const ERROR_LOG_INTERVAL_MS = 5000;

/** What a producer has done so far. */
export interface ProducerSnapshot {
  readonly id: string;
  readonly clientId: string;
  /** Messages the schedule asked for by now. */
  readonly asked: number;
  /** Messages the cluster acknowledged (sent, for acks 0). */
  readonly acked: number;
  /** Value bytes of acknowledged messages. */
  readonly ackedBytes: number;
  /** Messages whose send failed after the client's retries. */
  readonly failed: number;
  /** Messages given up because sends fell behind the schedule. */
  readonly shortfall: number;
  readonly throttle: Readonly<ThrottleStats>;
  /** Time from send to acknowledgement of every acknowledged message so far (a copy). */
  readonly ackLatency: LatencySnapshot;
}

/** What a producer runner needs from the run. */
export interface ProducerEnv {
  readonly access: ClusterAccess;
  readonly timeScale: number;
  readonly logger: Logger;
  readonly throttle: ThrottleMonitor;
  /** Monotonic clock in ms. */
  readonly now: () => number;
}

/** The base rate plan of a producer spec (durations already in ms). */
export function ratePlan(spec: ProducerSpec, timeScale: number): RatePlan {
  const curve = spec.curve.kind === 'constant'
    ? { kind: 'constant' as const }
    : { kind: 'diurnal' as const, periodMs: spec.curve.period, min: spec.curve.min, max: spec.curve.max, peakMs: spec.curve.peak };
  const spikes = spec.spikes.map((s) => ({ atMs: s.at, forMs: s.for, factor: s.factor }));
  return { rate: spec.rate, curve, spikes, timeScale };
}

const ACKS: Readonly<Record<string, number>> = { all: ProduceAcks.ALL, '-1': ProduceAcks.ALL, '0': ProduceAcks.NO_RESPONSE, '1': ProduceAcks.LEADER };

/** Runs one scenario producer from `start` until `stop`. */
export class ProducerRunner {
  readonly id: string;
  readonly clientId: string;
  readonly plan: RatePlan;
  readonly #spec: ProducerSpec;
  readonly #env: ProducerEnv;
  readonly #pacer: Pacer;
  readonly #messages: MessageFactory;
  readonly #throttle = new ThrottleStats();
  readonly #ackLatency = new LatencyHistogram();
  readonly #batchMessages: number;
  #producer: Producer | undefined;
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #acked = 0;
  #ackedBytes = 0;
  #failed = 0;
  #lastErrorLog = Number.NEGATIVE_INFINITY;

  constructor(spec: ProducerSpec, env: ProducerEnv) {
    this.#spec = spec;
    this.#env = env;
    this.id = spec.id;
    this.clientId = spec.clientId ?? spec.id;
    this.plan = ratePlan(spec, env.timeScale);
    this.#pacer = new Pacer(this.plan, MAX_BACKLOG_MS);
    this.#messages = new MessageFactory(spec.id, spec.topic, spec.size, spec.keys);
    this.#batchMessages = Math.max(1, Math.min(MAX_BATCH_MESSAGES, Math.floor(MAX_BATCH_BYTES / Math.max(1, spec.size))));
  }

  /** Creates the client (throws on bad credentials) without sending. */
  prepare(): void {
    const producer = new Producer({
      ...this.#env.access.clientOptions(this.clientId, this.#spec.user, `producer ${JSON.stringify(this.id)}`),
      acks: ACKS[String(this.#spec.acks)] ?? ProduceAcks.ALL,
      compression: this.#spec.compression,
      autocreateTopics: true,
    });
    producer.on('error', (error: Error) => this.#logError(error));
    hardenClient(producer);
    this.#env.throttle.track(producer.instanceId, this.#throttle);
    this.#producer = producer;
  }

  /** Starts sending; `startedAt` (monotonic ms) is the scenario's time 0. */
  start(startedAt: number): void {
    if (this.#producer === undefined) this.prepare();
    this.#startedAt = startedAt;
    this.#tick();
  }

  /** Stops sending, waits for sends in flight and closes the client. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STOP_WAIT_MS);
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const producer = this.#producer;
    if (producer === undefined) return;
    this.#producer = undefined;
    this.#env.throttle.untrack(producer.instanceId);
    await producer.close().catch((error: unknown) => this.#logError(error));
  }

  /** Counters so far; `asked` is what the schedule asked for up to `elapsedMs` of run time. */
  snapshot(elapsedMs: number): ProducerSnapshot {
    return {
      id: this.id,
      clientId: this.clientId,
      asked: Math.floor(scheduledCount(this.plan, elapsedMs)),
      acked: this.#acked,
      ackedBytes: this.#ackedBytes,
      failed: this.#failed,
      shortfall: this.#pacer.shortfall,
      throttle: this.#throttle,
      ackLatency: this.#ackLatency.snapshot(),
    };
  }

  #tick(): void {
    if (this.#stopped) return;
    const elapsed = this.#env.now() - this.#startedAt;
    let due = this.#pacer.due(elapsed);
    while (due > 0 && this.#inFlight < MAX_IN_FLIGHT) {
      const count = Math.min(due, this.#batchMessages);
      this.#send(count);
      due -= count;
    }
    this.#timer = setTimeout(() => this.#tick(), TICK_MS);
  }

  #send(count: number): void {
    const producer = this.#producer;
    if (producer === undefined) return;
    const first = this.#pacer.issued;
    this.#pacer.issue(count);
    const wallNow = Date.now();
    const messages = Array.from({ length: count }, (_, i) => this.#messages.build(first + i, wallNow));
    const sentAt = this.#env.now();
    this.#inFlight++;
    producer.send({ messages }).then(
      () => {
        this.#ackLatency.record(this.#env.now() - sentAt, count);
        this.#acked += count;
        this.#ackedBytes += count * this.#spec.size;
      },
      (error: unknown) => {
        this.#failed += count;
        this.#logError(error);
      },
    ).finally(() => {
      this.#inFlight--;
      if (this.#inFlight === 0) this.#idle?.();
    });
  }

  #logError(error: unknown): void {
    const now = this.#env.now();
    if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = now;
    this.#env.logger.warn({ producer: this.id, failed: this.#failed, err: describeError(error) }, `producer ${this.id}: send failed: ${describeError(error)}`);
  }
}
