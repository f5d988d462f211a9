/**
 * What a scenario is once scaled: its workload YAML, its length, the burst window the figures are
 * taken over, the load it offers when nothing limits it, the static equal-share quotas, and which
 * clients are noisy. Pure: scenario data in, numbers and text out.
 */
import { KIB, type ConsumerDef, type ProducerDef, type ScenarioDef } from './scenarios.ts';

/** Brokers of every bench cluster (each topic has one partition per broker). */
export const BROKERS = 3;
/**
 * Most bytes a bench consumer's fetch returns per partition: 64 KiB, as much as a workload
 * producer's largest send. The bench's brokers carry 330 KiB/s to 1 MiB/s, a few hundredths of a
 * real broker's network, and the clients' requests are scaled with them. Kafka's 1 MiB default
 * is 3 ms of a 300 MB/s broker's network, but 2.5 s of a 400 KiB/s one: a member catching up
 * would fill a broker's network out for seconds with each response, and every figure taken each
 * second would follow single fetches (the busiest broker's utilization then moves in steps of
 * half its capacity), not the load or what a quota does to it.
 */
export const FETCH_BYTES_PER_PARTITION = 64 * KIB;
const DAY_S = 86_400;

/** A scenario at a scale: wall seconds from the workload's start. */
export interface Shape {
  readonly def: ScenarioDef;
  readonly durationS: number;
  /** The burst, or the part of the day over the target. */
  readonly burst: { readonly atS: number; readonly forS: number };
  /** Scenario seconds per wall second (a day scenario plays 24 h in its run). */
  readonly timeScale: number;
  readonly yaml: string;
}

/** Wall seconds, rounded to the millisecond, as the workload's YAML takes them. */
const seconds = (s: number): string => String(Math.round(s * 1000) / 1000);

/** The multiplier of a producer's daily curve at `t` of a `dayS`-second day (noon is the peak). */
function dayMultiplier(p: ProducerDef, t: number, dayS: number): number {
  if (p.day === undefined) return 1;
  return p.day.min + ((p.day.max - p.day.min) * (1 + Math.cos(2 * Math.PI * (t / dayS - 0.5)))) / 2;
}

function inBurst(def: ScenarioDef, t: number, scale: number): boolean {
  return def.timing.kind === 'burst' && t >= def.timing.calmS * scale && t < (def.timing.calmS + def.timing.burstS) * scale;
}

/** A producer's rate at wall time `t` (messages/s), as its schedule asks. */
export function producerRate(def: ScenarioDef, p: ProducerDef, t: number, scale: number): number {
  const day = def.timing.kind === 'day' ? dayMultiplier(p, t, def.timing.dayS * scale) : 1;
  return p.rate * day * (p.burst !== undefined && inBurst(def, t, scale) ? p.burst : 1);
}

/** Bytes/s a group asks at `t`: what its topics fill at, or everything it can get while rewound (Infinity). */
function consumerDemand(def: ScenarioDef, c: ConsumerDef, t: number, scale: number): number {
  if (c.rewind !== undefined && inBurst(def, t, scale)) return Infinity;
  return def.producers.filter((p) => c.topics.includes(p.topic)).reduce((sum, p) => sum + producerRate(def, p, t, scale) * KIB, 0);
}

/**
 * Bytes/s each broker takes in and sends out at `t` with no quotas, traffic spread evenly: every
 * produced byte enters `replicationFactor` brokers and leaves its leader `replicationFactor − 1`
 * times; consumers read each byte once. `only` picks the clients counted (default all).
 */
export function offeredPerBroker(def: ScenarioDef, t: number, scale: number, only: (id: string) => boolean = () => true): { in: number; out: number } {
  const produced = def.producers.filter((p) => only(p.id)).reduce((sum, p) => sum + producerRate(def, p, t, scale) * KIB, 0);
  const read = def.consumers.filter((c) => only(c.id)).reduce((sum, c) => sum + consumerDemand(def, c, t, scale), 0);
  const rf = def.replicationFactor;
  return { in: (produced * rf) / BROKERS, out: (produced * (rf - 1) + read) / BROKERS };
}

/** Offered utilization of the busiest network at `t` (Infinity while a rewound group reads). */
export function offeredUtilization(def: ScenarioDef, t: number, scale: number): number {
  const load = offeredPerBroker(def, t, scale);
  return Math.max(load.in / def.capacity.in, load.out / def.capacity.out);
}

/** Whether the core group alone offers more than the brokers can take at the target, in either direction, at any second. */
export function coreAloneOverTarget(def: ScenarioDef, durationS: number, scale: number, target: number): boolean {
  for (let t = 0; t < durationS; t += 0.5) {
    const core = offeredPerBroker(def, t, scale, isCore);
    if (core.in > target * def.capacity.in || core.out > target * def.capacity.out) return true;
  }
  return false;
}

/** Whether a client id is in the core group. */
export function isCore(id: string): boolean {
  return id.startsWith('core-');
}

/** Ids of the noisy clients: bursting producers and rewinding groups. */
export function noisyClients(def: ScenarioDef): Set<string> {
  return new Set([...def.producers.filter((p) => p.burst !== undefined).map((p) => p.id), ...def.consumers.filter((c) => c.rewind !== undefined).map((c) => c.id)]);
}

/** Topics the bursting producers write: a group's throughput there follows the burst, not its own treatment. */
export function noisyTopics(def: ScenarioDef): Set<string> {
  return new Set(def.producers.filter((p) => p.burst !== undefined).map((p) => p.topic));
}

/**
 * The static equal share, per client id and per broker (as Kafka enforces quotas): the target's
 * part of the capacity in split over the producer client ids, of the capacity out over the
 * consumer client ids.
 */
export function staticShare(def: ScenarioDef, target: number): { producer: number; consumer: number | undefined } {
  return {
    producer: Math.floor((target * def.capacity.in) / def.producers.length),
    consumer: def.consumers.length === 0 ? undefined : Math.floor((target * def.capacity.out) / def.consumers.length),
  };
}

/** The window the burst figures are taken over: the burst, or where the day's offered load is over the target. */
function burstWindow(def: ScenarioDef, durationS: number, scale: number, target: number): Shape['burst'] {
  if (def.timing.kind === 'burst') return { atS: def.timing.calmS * scale, forS: def.timing.burstS * scale };
  const step = 0.1;
  let first: number | undefined;
  let last = 0;
  for (let t = 0; t < durationS; t += step) {
    if (offeredUtilization(def, t, scale) > target) {
      first ??= t;
      last = t + step;
    }
  }
  // A day that never goes over: its middle third, the busiest part.
  if (first === undefined) return { atS: durationS / 3, forS: durationS / 3 };
  return { atS: Math.round(first * 10) / 10, forS: Math.round((last - first) * 10) / 10 };
}

/** The scenario at `scale` (every duration multiplied by it). */
export function shapeOf(def: ScenarioDef, scale: number, target: number): Shape {
  const timing = def.timing;
  const durationS = (timing.kind === 'burst' ? timing.calmS + timing.burstS + timing.afterS : timing.dayS) * scale;
  const timeScale = timing.kind === 'day' ? DAY_S / durationS : 1;
  const burst = burstWindow(def, durationS, scale, target);
  // Actions and spikes are written in scenario time.
  const at = (wallS: number): string => seconds(wallS * timeScale);
  const producers = def.producers.map((p) => {
    const extra = [
      p.day === undefined ? '' : `, curve: { kind: diurnal, min: ${p.day.min}, max: ${p.day.max} }`,
      p.burst === undefined ? '' : `, spikes: [ { at: ${at(burst.atS)}, for: ${at(burst.forS)}, factor: ${p.burst} } ]`,
    ].join('');
    return `  - { id: ${p.id}, clientId: ${p.id}, topic: ${p.topic}, rate: ${p.rate}, size: ${KIB}, keys: 300, acks: all${extra} }`;
  });
  const consumers = def.consumers.map((c) => {
    const actions: string[] = [];
    if (c.rewind !== undefined) {
      for (let t = 0; t < burst.forS - 1e-9; t += c.rewind.everyS * scale) actions.push(`{ at: ${at(burst.atS + t)}, do: rewind, to: earliest }`);
      actions.push(`{ at: ${at(burst.atS + burst.forS)}, do: slow, rate: ${c.rewind.thenRate} }`);
    }
    return `  - { id: ${c.id}, clientId: ${c.id}, group: ${c.id}, topics: [${c.topics.join(', ')}], instances: ${c.instances ?? 1}, fetchBytesPerPartition: ${FETCH_BYTES_PER_PARTITION}${actions.length === 0 ? '' : `, actions: [ ${actions.join(', ')} ]`} }`;
  });
  const topics = [...new Set(def.producers.map((p) => p.topic))].map((t) => `  - { name: ${t}, partitions: ${BROKERS}, replicationFactor: ${def.replicationFactor} }`);
  const yaml = [
    `name: bench-${def.name}`,
    `duration: ${at(durationS)}`,
    `timeScale: ${timeScale}`,
    'topics:', ...topics,
    'producers:', ...producers,
    ...(consumers.length === 0 ? [] : ['consumers:', ...consumers]),
    '',
  ].join('\n');
  return { def, durationS, burst, timeScale, yaml };
}
