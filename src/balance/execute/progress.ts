/**
 * How an execution's moves stand against the cluster, pure: a move in flight that the cluster no
 * longer lists as reassigning is done when its replicas are the target, in order, and failed
 * otherwise; a pending move whose partition changed since the plan is failed (never started on a
 * placement the plan was not made for), and one already at its target is done. Read the
 * reassignments in progress before the placement: a move that ends in between is then seen done.
 */
import type { MoveRecord } from './types.ts';

/** `topic\0partition`, the key partitions are looked up by. */
export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The moves after looking at the cluster: `reassigning` holds the partitions with a reassignment
 * in progress, `replicas` every partition's replicas now (a partition missing there was deleted).
 */
export function settleMoves(moves: readonly MoveRecord[], reassigning: ReadonlySet<string>, replicas: ReadonlyMap<string, readonly number[]>, now: number): MoveRecord[] {
  return moves.map((m) => {
    const key = partitionKey(m.topic, m.partition);
    const current = replicas.get(key);
    if (m.state === 'in-flight') {
      if (reassigning.has(key)) return m;
      if (current !== undefined && same(current, m.replicasAfter)) return { ...m, state: 'done', finishedAt: now };
      // Metadata may lag the controller (Apache Kafka): replicas still holding the target are finishing.
      if (current !== undefined && m.replicasAfter.every((b) => current.includes(b)) && current.length > m.replicasAfter.length) return m;
      const why = current === undefined ? 'the partition no longer exists' : `the reassignment ended with replicas ${current.join(',')}, not the target ${m.replicasAfter.join(',')}`;
      return { ...m, state: 'failed', finishedAt: now, error: why };
    }
    if (m.state === 'pending') {
      if (current === undefined) return { ...m, state: 'failed', finishedAt: now, error: 'the partition no longer exists' };
      if (same(current, m.replicasAfter)) return { ...m, state: 'done', finishedAt: now };
      if (!sameSet(current, m.replicasBefore)) {
        return { ...m, state: 'failed', finishedAt: now, error: `the placement changed since the plan: replicas ${current.join(',')}, planned from ${m.replicasBefore.join(',')}` };
      }
    }
    return m;
  });
}

/** Counts of moves per state, for status lines. */
export function moveCounts(moves: readonly MoveRecord[]): Record<MoveRecord['state'], number> {
  const out = { pending: 0, 'in-flight': 0, done: 0, cancelled: 0, failed: 0 };
  for (const m of moves) out[m.state]++;
  return out;
}
