/**
 * What a run records while it runs: once a second, the busiest broker's utilization as the
 * throttle diagnosis computes it (read from the brokers in process, over the bench's measuring
 * window, which does not follow the loop's rate window)
 * and every workload client's counters; and every round of the loop as it happens, with the
 * model's one-round-ahead check when the round plan carries one.
 */
import type { BrokerNode } from '../../src/kafka/broker/node.ts';
import type { ThrottleLoop } from '../../src/throttle/loop.ts';
import type { StatusSample } from '../../src/workload/status.ts';

/** Cumulative traffic of one broker at one moment, its handler idle ratio and Produce total time p99 (ms). */
interface BrokerCounters {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly handlerIdle: number;
  readonly produceP99Ms: number;
}

function countersOf(node: BrokerNode, now: number): BrokerCounters {
  let bytesIn = node.stats.replicationBytesIn;
  let bytesOut = node.stats.replicationBytesOut;
  for (const t of node.stats.topics.values()) {
    bytesIn += t.bytesIn;
    bytesOut += t.bytesOut;
  }
  // The broker's reservoir keeps the last 2,048 Produce requests: at these rates, the last few seconds.
  const produceP99Ms = node.stats.requests.get('Produce')?.totalTime.quantiles([0.99], now)[0] ?? 0;
  return { bytesIn, bytesOut, handlerIdle: node.model.handlerIdle(now), produceP99Ms };
}

/** One second of a run. */
export interface Sample {
  /** Seconds since the workload started. */
  readonly t: number;
  /** The busiest broker's utilization: max over brokers of 1 − handler idle, bytes in / capacity in, bytes out / capacity out. */
  readonly utilization: number;
  /** The worst broker's Produce total time p99, ms. */
  readonly produceP99Ms: number;
  /** Every workload client's counters then. */
  readonly clients: StatusSample;
}

/** Samples brokers and clients once a second from the workload's start. */
export class Sampler {
  private readonly history: { at: number; brokers: BrokerCounters[] }[] = [];
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nodes: readonly BrokerNode[],
    private readonly counters: () => StatusSample,
    private readonly startedAtMs: number,
    private readonly windowS: number,
  ) {}

  start(): void {
    const tick = (k: number): void => {
      this.sample();
      this.timer = setTimeout(() => tick(k + 1), Math.max(0, this.startedAtMs + (k + 1) * 1000 - Date.now()));
    };
    this.history.push({ at: this.startedAtMs, brokers: this.nodes.map((n) => countersOf(n, this.startedAtMs)) });
    this.timer = setTimeout(() => tick(1), Math.max(0, this.startedAtMs + 1000 - Date.now()));
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private sample(): void {
    const at = Date.now();
    const clients = this.counters();
    const brokers = this.nodes.map((n) => countersOf(n, at));
    this.history.push({ at, brokers });
    // The measuring window, or what there is of it so far.
    const from = this.history[Math.max(0, this.history.length - 1 - Math.round(this.windowS))]!;
    const seconds = (at - from.at) / 1000;
    let worst = 0;
    this.nodes.forEach((n, i) => {
      const now = brokers[i]!;
      const then = from.brokers[i]!;
      const inRate = (now.bytesIn - then.bytesIn) / seconds;
      const outRate = (now.bytesOut - then.bytesOut) / seconds;
      worst = Math.max(worst, 1 - now.handlerIdle, inRate / n.capacity.networkInBytesPerSec, outRate / n.capacity.networkOutBytesPerSec);
    });
    this.samples.push({ t: Math.round((at - this.startedAtMs) / 100) / 10, utilization: worst, produceP99Ms: Math.max(...brokers.map((b) => b.produceP99Ms)), clients });
  }
}

/** One broker's one-round-ahead model check, as the round plan carries it. */
export interface ModelCheck {
  readonly broker: string;
  readonly predicted: number;
  readonly observed: number;
  /** |observed − predicted|, utilization (0..1). */
  readonly error: number;
}

/** One round of the loop. */
export interface Round {
  /** When it ran (epoch ms: the round's own clock). */
  readonly at: number;
  readonly state: string;
  readonly observed: string;
  readonly reason: string;
  /** Per-broker client capacity at the target, bytes/s, per direction. */
  readonly capacity: { readonly produce: number; readonly consume: number };
  readonly modelCheck: readonly ModelCheck[];
  readonly explanation: string;
}

/** Records each round of a loop by watching its last round. */
export class RoundRecorder {
  readonly rounds: Round[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly loop: ThrottleLoop,
    private readonly onRound: (round: Round) => void = () => {},
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poll(), 200);
  }

  /** Stops watching, after taking a last round not seen yet. */
  stop(): void {
    clearInterval(this.timer);
    this.poll();
  }

  private poll(): void {
    const r = this.loop.lastRound;
    if (r === undefined || r.at === this.rounds.at(-1)?.at) return;
    // Read defensively: the check is newer than some plans.
    const modelCheck = (r.plan as { modelCheck?: readonly ModelCheck[] }).modelCheck ?? [];
    const round: Round = {
      at: r.at, state: r.plan.diagnosis.state, observed: r.plan.diagnosis.observed, reason: r.plan.diagnosis.reason,
      capacity: { produce: r.plan.capacity.produce, consume: r.plan.capacity.consume },
      modelCheck: modelCheck.map((c) => ({ broker: c.broker, predicted: c.predicted, observed: c.observed, error: c.error })),
      explanation: r.explanation,
    };
    this.rounds.push(round);
    this.onRound(round);
  }
}
