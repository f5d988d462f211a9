/**
 * The throttle bench's scenarios, as data: the brokers' network capacity, the replication factor,
 * the producers and consumer groups, and when the trouble comes. Every message is 1 KiB, every
 * topic has 3 partitions on the 3 brokers, rates are messages per wall-clock second, and a fetch
 * returns at most 64 KiB of a partition (shape.ts says why). Clients
 * whose id starts with `core-` are the core group (high priority, with a floor); everyone else
 * is general. Durations are wall seconds at `--scale 1`; shape.ts turns a scenario into the
 * workload's YAML and works out the load it offers.
 */

/** Bytes in a KiB. */
export const KIB = 1024;

/** One producer: `rate` messages/s of 1 KiB to `topic`. */
export interface ProducerDef {
  readonly id: string;
  readonly topic: string;
  readonly rate: number;
  /** The noisy producer: its rate is multiplied by this during the burst. */
  readonly burst?: number;
  /** A daily curve (day scenarios): the rate's multiplier from `min` at midnight to `max` at noon. */
  readonly day?: { readonly min: number; readonly max: number };
}

/** One consumer group (its client id is its id), reading its topics as fast as they fill. */
export interface ConsumerDef {
  readonly id: string;
  readonly topics: readonly string[];
  /** Members of the group (default 1). */
  readonly instances?: number;
  /**
   * The noisy consumer: it rewinds to the earliest offsets when the burst begins and again
   * every `everyS` seconds of it, reading the backlog as fast as the brokers let it, and at the
   * burst's end is slowed to `thenRate` messages/s (the rate its topics fill at), so that its
   * demand is back to what it was before.
   */
  readonly rewind?: { readonly everyS: number; readonly thenRate: number };
}

/** When the burst comes: after `calmS` of steady traffic, for `burstS`, then `afterS` more. */
export interface BurstTiming {
  readonly kind: 'burst';
  readonly calmS: number;
  readonly burstS: number;
  readonly afterS: number;
}

/**
 * A day played in `dayS` wall seconds, midnight to midnight, with the producers' daily curves;
 * the "burst" is the part of the day when the offered load is over the target.
 */
export interface DayTiming {
  readonly kind: 'day';
  readonly dayS: number;
}

/** One scenario. */
export interface ScenarioDef {
  readonly name: string;
  /** One line for the report: what it is. */
  readonly summary: string;
  /** Network capacity of each broker, bytes/s. */
  readonly capacity: { readonly in: number; readonly out: number };
  readonly replicationFactor: 1 | 3;
  readonly timing: BurstTiming | DayTiming;
  readonly producers: readonly ProducerDef[];
  readonly consumers: readonly ConsumerDef[];
}

export const SCENARIOS: readonly ScenarioDef[] = [
  /**
   * The plain noisy neighbour, made hard: no consumers, no replication, and a producer bursting
   * to 14× its rate (the brokers' network in is saturated, 100% of capacity, against 35% before)
   * only 20 s after the start, when the loop has four rounds of history and no load model can be
   * fitted yet. Stresses reacting to an overload at once (no confirmation round), from the
   * fallback model, and giving the core producers what they ask while one general client takes
   * every byte it can.
   */
  {
    name: 'producer-burst',
    summary: 'RF 1, no consumers, a general producer bursting ×14 after a short calm',
    capacity: { in: 600 * KIB, out: 600 * KIB },
    replicationFactor: 1,
    timing: { kind: 'burst', calmS: 20, burstS: 40, afterS: 35 },
    producers: [
      { id: 'core-orders', topic: 'orders', rate: 300 },
      { id: 'core-payments', topic: 'payments', rate: 90 },
      { id: 'general-batch', topic: 'batch', rate: 150 },
      { id: 'clickstream', topic: 'clicks', rate: 90, burst: 14 },
    ],
    consumers: [],
  },
  /**
   * Replication counts: with RF 3 every produced byte enters all three brokers and leaves the
   * leader twice, so broker bytes in are three times what producers send to a leader and bytes
   * out carry the replication beside the one consumer group, which reads every topic. A ×6 burst
   * takes both networks from 47% to 80%: pressured, not overloaded, so the loop waits for a
   * second round to confirm. Stresses the mapping from broker bytes (replication included) to
   * per-client quotas, a consumer whose rate follows the producers' (its demand rises with the
   * burst although it is not the cause), and a long calm before (50 s) for a fitted model.
   */
  {
    name: 'rf3-burst-one-reader',
    summary: 'RF 3, one group reading every topic, a general producer bursting ×6 after a long calm',
    capacity: { in: 600 * KIB, out: 600 * KIB },
    replicationFactor: 3,
    timing: { kind: 'burst', calmS: 50, burstS: 35, afterS: 30 },
    producers: [
      { id: 'core-orders', topic: 'orders', rate: 140 },
      { id: 'core-payments', topic: 'payments', rate: 40 },
      { id: 'general-batch', topic: 'batch', rate: 60 },
      { id: 'clickstream', topic: 'clicks', rate: 40, burst: 6 },
    ],
    consumers: [{ id: 'audit', topics: ['orders', 'payments', 'batch', 'clicks'] }],
  },
  /**
   * A noisy consumer: a replay job rewinds its group to the earliest offsets of a topic holding
   * ~16 MB and reads it as fast as it can (again every 15 s), so that the brokers' network OUT
   * (400 KiB/s, against 1 MiB/s in) goes from 50% to saturation while producers are untouched.
   * Two other groups read other topics, one of them core. Stresses limiting the consumer
   * direction only, holding a backlog reader (whose throttled fetches are answered empty, so its
   * demand is seen little above its quota), protecting the core reader's share, and releasing
   * once the job is slowed back to its topic's rate.
   */
  {
    name: 'consumer-rewind',
    summary: 'RF 1, three groups on different topics, one rewinding to earliest and reading a backlog',
    capacity: { in: 1024 * KIB, out: 400 * KIB },
    replicationFactor: 1,
    timing: { kind: 'burst', calmS: 45, burstS: 40, afterS: 30 },
    producers: [
      { id: 'core-orders', topic: 'orders', rate: 150 },
      { id: 'general-batch', topic: 'batch', rate: 90 },
      { id: 'clicks', topic: 'clicks', rate: 360 },
    ],
    consumers: [
      { id: 'core-billing', topics: ['orders'] },
      { id: 'reports', topics: ['batch'] },
      { id: 'replay', topics: ['clicks'], instances: 3, rewind: { everyS: 15, thenRate: 360 } },
    ],
  },
  /**
   * RF 3 with unequal networks (700 KiB/s in, 1000 KiB/s out) and a ×14 burst after a short
   * calm: network in goes from 34% to 90% while network out stays under 50%, with two consumer
   * groups reading different topics (nobody reads the burster's). Stresses limiting producers
   * only when only the network in is under pressure (consumers must not pay), replication
   * amplification of a producer's quota, and acting with 20 s of history.
   */
  {
    name: 'rf3-burst-groups',
    summary: 'RF 3, in 700 / out 1000 KiB/s, two groups on different topics, a producer bursting ×14 early',
    capacity: { in: 700 * KIB, out: 1000 * KIB },
    replicationFactor: 3,
    timing: { kind: 'burst', calmS: 20, burstS: 45, afterS: 30 },
    producers: [
      { id: 'core-orders', topic: 'orders', rate: 120 },
      { id: 'core-payments', topic: 'payments', rate: 30 },
      { id: 'general-batch', topic: 'batch', rate: 60 },
      { id: 'clickstream', topic: 'clicks', rate: 30, burst: 14 },
    ],
    consumers: [
      { id: 'core-billing', topics: ['orders', 'payments'] },
      { id: 'analytics', topics: ['batch'] },
    ],
  },
  /**
   * A day in 100 s: producers follow daily curves (general ones swing from 20–30% of their rate
   * at night to all of it at noon, core ones less), and around noon the offered network in
   * (330 KiB/s per broker) reaches 85%: over the target for about a third of the day, with no
   * step in it. One group reads every topic. Stresses following a slow rise and fall with a
   * model fitted over changing load, containing without a clear culprit (every general client
   * grows), and handing the quotas back as the evening comes.
   */
  {
    name: 'diurnal-day',
    summary: 'RF 1, daily curves peaking at noon, one group reading every topic',
    capacity: { in: 330 * KIB, out: 600 * KIB },
    replicationFactor: 1,
    timing: { kind: 'day', dayS: 100 },
    producers: [
      { id: 'core-orders', topic: 'orders', rate: 240, day: { min: 0.6, max: 1 } },
      { id: 'core-payments', topic: 'payments', rate: 60 },
      { id: 'general-batch', topic: 'batch', rate: 300, day: { min: 0.2, max: 1 } },
      { id: 'clickstream', topic: 'clicks', rate: 240, day: { min: 0.3, max: 1 } },
    ],
    consumers: [{ id: 'warehouse', topics: ['orders', 'payments', 'batch', 'clicks'] }],
  },
  /**
   * The noisy consumer with RF 3 and a short calm: a replay group rewinds every 8 s to reread a
   * ~5 MB topic while replication already takes 40% of the network out (600 KiB/s), so the
   * network out goes from 57% to saturation. Stresses a consumer quota when most bytes out are
   * replication no quota governs (an equal share of the capacity per client cannot hold the
   * brokers at the target), a core reader beside it, and deciding with 25 s of history.
   */
  {
    name: 'rf3-consumer-rewind',
    summary: 'RF 3, in 900 / out 600 KiB/s, a replay group rewinding every 8 s after a short calm',
    capacity: { in: 900 * KIB, out: 600 * KIB },
    replicationFactor: 3,
    timing: { kind: 'burst', calmS: 25, burstS: 40, afterS: 30 },
    producers: [
      { id: 'core-orders', topic: 'orders', rate: 100 },
      { id: 'general-batch', topic: 'batch', rate: 60 },
      { id: 'clicks', topic: 'clicks', rate: 200 },
    ],
    consumers: [
      { id: 'core-billing', topics: ['orders'] },
      { id: 'replay', topics: ['clicks'], instances: 3, rewind: { everyS: 8, thenRate: 200 } },
    ],
  },
  /**
   * Two noisy neighbours at once, one in each direction: a producer bursting ×14 fills the
   * brokers' network in while a replay group rewinding every 10 s reads a topic it does not
   * write, filling the network out. Limiting the producer does nothing for the network out.
   * Stresses pressure in both directions from different clients, and a core reader and a core
   * producer beside them.
   */
  {
    name: 'mixed-burst',
    summary: 'RF 1, a producer bursting ×14 and a group rewinding another topic, at once',
    capacity: { in: 500 * KIB, out: 500 * KIB },
    replicationFactor: 1,
    timing: { kind: 'burst', calmS: 40, burstS: 40, afterS: 30 },
    producers: [
      { id: 'core-orders', topic: 'orders', rate: 180 },
      { id: 'general-batch', topic: 'batch', rate: 60 },
      { id: 'clickstream', topic: 'clicks', rate: 60, burst: 14 },
      { id: 'logs', topic: 'logs', rate: 120 },
    ],
    consumers: [
      { id: 'core-billing', topics: ['orders'] },
      { id: 'replay', topics: ['logs'], instances: 2, rewind: { everyS: 10, thenRate: 120 } },
    ],
  },
  /**
   * The noisy neighbour as it was first reported against Sluice: small brokers (400 KiB/s each
   * way), RF 1, two core producers at 40% of the capacity, one group reading every topic, and a
   * general producer bursting to 1.9× the whole cluster for three minutes. The group reads the
   * burst too, so the network out saturates with the network in, and the only client to limit is
   * the producer. Stresses a long burst (release and changes are judged after three minutes of
   * throttling), a consumer that must keep reading the core topics at full speed, and a quota far
   * below what the noisy client asks.
   */
  {
    name: 'long-burst-one-reader',
    summary: 'RF 1, 400 KiB/s each way, one group reading everything, a producer at 1.9× the cluster for 3 min',
    capacity: { in: 400 * KIB, out: 400 * KIB },
    replicationFactor: 1,
    timing: { kind: 'burst', calmS: 60, burstS: 180, afterS: 60 },
    producers: [
      { id: 'core-orders', topic: 'orders', rate: 320 },
      { id: 'core-payments', topic: 'payments', rate: 160 },
      { id: 'clickstream', topic: 'clicks', rate: 120, burst: 19 },
    ],
    consumers: [{ id: 'audit', topics: ['orders', 'payments', 'clicks'] }],
  },
  /**
   * No single culprit: six general producers all step up ×5 at once (a launch), with RF 3 and one
   * group reading every topic. Stresses sharing the cut among many clients of one group, each
   * of them only a small part of the load.
   */
  {
    name: 'broad-step',
    summary: 'RF 3, six general producers stepping up ×5 together, one group reading everything',
    capacity: { in: 900 * KIB, out: 900 * KIB },
    replicationFactor: 3,
    timing: { kind: 'burst', calmS: 35, burstS: 40, afterS: 30 },
    producers: [
      { id: 'core-orders', topic: 'orders', rate: 60 },
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((x) => ({ id: `general-${x}`, topic: `t-${x}`, rate: 25, burst: 5 })),
    ],
    consumers: [{ id: 'lake', topics: ['orders', 't-a', 't-b', 't-c', 't-d', 't-e', 't-f'] }],
  },
];
