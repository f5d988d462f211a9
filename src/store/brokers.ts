/**
 * The brokers each cluster has been seen with (table `cluster_brokers`): what the cluster
 * collector reads at every cycle so that a broker that is down, or a cluster that does not
 * answer, is still reported after a restart of Sluice.
 */
import { msOf, toTimestamp } from './sql.ts';
import type { Queryable } from './types.ts';

/** A broker recorded for a cluster, and when the cluster last listed it or assigned it a replica. */
export interface StoredBroker {
  readonly id: number;
  readonly lastClaimedMs: number;
}

/** The brokers recorded for `cluster`, by id. */
export async function listClusterBrokers(db: Queryable, cluster: string): Promise<StoredBroker[]> {
  const result = await db.query<{ id: number; last_claimed: number }>(
    `SELECT broker AS id, ${msOf('last_claimed')} AS last_claimed FROM cluster_brokers WHERE cluster = $1 ORDER BY broker`,
    [cluster],
  );
  return result.rows.map((r) => ({ id: Number(r.id), lastClaimedMs: Number(r.last_claimed) }));
}

/** Records that `cluster` claimed `brokers` at `atMs`: new ones are added, known ones refreshed. */
export async function claimClusterBrokers(db: Queryable, cluster: string, brokers: readonly number[], atMs: number): Promise<void> {
  if (brokers.length === 0) return;
  const at = toTimestamp(atMs);
  await db.query(
    `INSERT INTO cluster_brokers (cluster, broker, first_seen, last_claimed)
     SELECT $1, b, $3::timestamptz, $3::timestamptz FROM unnest($2::int[]) AS u(b)
     ON CONFLICT (cluster, broker) DO UPDATE SET last_claimed = GREATEST(cluster_brokers.last_claimed, EXCLUDED.last_claimed)`,
    [cluster, [...brokers], at],
  );
}

/** Removes `brokers` of `cluster`; returns the ids that were recorded. */
export async function forgetClusterBrokers(db: Queryable, cluster: string, brokers: readonly number[]): Promise<number[]> {
  if (brokers.length === 0) return [];
  const result = await db.query<{ broker: number }>(
    'DELETE FROM cluster_brokers WHERE cluster = $1 AND broker = ANY($2::int[]) RETURNING broker',
    [cluster, [...brokers]],
  );
  return result.rows.map((r) => Number(r.broker)).sort((a, b) => a - b);
}
