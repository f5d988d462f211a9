/**
 * The guardrails and batching of an execution, pure: whether a batch may start now (no partition
 * under-replicated or offline, outside blackout windows, under the moves-per-hour cap) and which
 * pending moves it takes (at most `perBroker` in flight per broker, `maxInFlight` in all).
 */
import { movedBrokers } from './throttle.ts';
import { blackoutAt } from './windows.ts';
import type { MoveRecord } from './types.ts';

/** A partition as Metadata describes it. */
export interface PartitionHealth {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

const HOUR_MS = 3_600_000;

/**
 * Partitions offline (no leader) or under-replicated, described for people. A partition being
 * reassigned counts against its replicas less the ones being added (as Kafka counts it): a new
 * replica still copying does not make it under-replicated.
 */
export function unhealthyPartitions(partitions: Iterable<PartitionHealth>, adding: ReadonlyMap<string, readonly number[]>): string[] {
  const out: string[] = [];
  for (const p of partitions) {
    const name = `${p.topic}-${p.partition}`;
    if (p.leader < 0) {
      out.push(`${name} is offline`);
      continue;
    }
    const add = adding.get(`${p.topic}\u0000${p.partition}`) ?? [];
    const missing = p.replicas.filter((b) => !add.includes(b) && !p.isr.includes(b));
    if (missing.length > 0) out.push(`${name} is under-replicated (replicas ${p.replicas.join(',')}, ISR ${p.isr.join(',')})`);
  }
  return out;
}

/** Moves that may still start in the hour ending at `now`. */
export function hourlyAllowance(moves: readonly MoveRecord[], now: number, maxPerHour: number): number {
  const recent = moves.filter((m) => m.startedAt !== null && m.startedAt > now - HOUR_MS && m.startedAt <= now).length;
  return Math.max(0, maxPerHour - recent);
}

/** What holds a batch back now, or null when one may start. */
export function batchBlocked(input: {
  readonly now: number;
  readonly blackout: readonly string[];
  readonly allowance: number;
  readonly maxPerHour: number;
  readonly unhealthy: readonly string[];
}): string | null {
  const window = blackoutAt(input.blackout, input.now);
  if (window !== undefined) return `in the blackout window "${window}"`;
  if (input.allowance <= 0) return `${input.maxPerHour} moves started in the last hour (balance.execution.maxMovesPerHour)`;
  if (input.unhealthy.length > 0) {
    const shown = input.unhealthy.slice(0, 3).join('; ');
    return `${input.unhealthy.length} partition(s) under-replicated or offline: ${shown}${input.unhealthy.length > 3 ? '; …' : ''}`;
  }
  return null;
}

/** The brokers a move occupies while in flight: where the copy comes from (its leader before) and goes to. */
export function occupied(m: MoveRecord): number[] {
  const { destinations } = movedBrokers(m);
  return destinations.length === 0 ? [] : [...new Set([m.leaderBefore, ...destinations])];
}

/** Seqs of the pending moves to start now, in plan order, within the limits. */
export function nextBatch(moves: readonly MoveRecord[], limits: { readonly perBroker: number; readonly maxInFlight: number; readonly allowance: number }): number[] {
  const load = new Map<number, number>();
  let inFlight = 0;
  for (const m of moves) {
    if (m.state !== 'in-flight') continue;
    inFlight++;
    for (const b of occupied(m)) load.set(b, (load.get(b) ?? 0) + 1);
  }
  const out: number[] = [];
  for (const m of moves) {
    if (m.state !== 'pending') continue;
    if (inFlight >= limits.maxInFlight || out.length >= limits.allowance) break;
    const brokers = occupied(m);
    if (brokers.some((b) => (load.get(b) ?? 0) >= limits.perBroker)) continue;
    for (const b of brokers) load.set(b, (load.get(b) ?? 0) + 1);
    inFlight++;
    out.push(m.seq);
  }
  return out;
}
