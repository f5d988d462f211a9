/** Shared parts of the execution tests: a plan from reassignments, a migrated in-memory store, a cluster with a topic placed by hand. */
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { balanceConfigSchema, type BalanceConfig } from '../../../src/balance/config.ts';
import type { Plan, Reassignment } from '../../../src/balance/result.ts';
import { openDb } from '../../../src/store/db.ts';
import { migrate } from '../../../src/store/migrate.ts';
import type { Db } from '../../../src/store/types.ts';
import { startCluster, type RunningCluster } from '../../../src/kafka/broker/index.ts';
import { RawClient } from '../../helpers/raw-client.ts';

/** A reassignment of `topic`-`partition` from `before` to `after` (the first replica leads). */
export function move(topic: string, partition: number, before: number[], after: number[], bytes = 0): Reassignment {
  return {
    topic, partition, replicasBefore: before, replicasAfter: after, leaderBefore: before[0]!, leaderAfter: after[0]!,
    adding: after.filter((b) => !before.includes(b)), removing: before.filter((b) => !after.includes(b)), bytes,
  };
}

/** A plan made of `reassignments` and nothing else. */
export function planOf(reassignments: Reassignment[]): Plan {
  return {
    mode: 'full', moves: [], reassignments, brokers: [], groups: [], bytesMoved: reassignments.reduce((a, r) => a + r.bytes, 0),
    expectedSeconds: 0, throttleBytesPerSec: 1, unmet: [], underReplicated: 0, balancedRatio: 1.1,
  };
}

/** A validated balance config with `execution` settings. */
export function executionConfig(execution: unknown): BalanceConfig {
  return balanceConfigSchema.parse({ execution });
}

/** A migrated in-memory PGlite. */
export async function memoryDb(): Promise<Db> {
  const db = await openDb({ dataDir: 'memory' });
  await migrate(db);
  return db;
}

/** A logger that says nothing unless SLUICE_TEST_LOG names a level. */
export const testLogger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });

/** A bundled cluster of `brokers` with `topic` placed as `assignment` says (partition i on assignment[i]). */
export async function clusterWith(brokers: number, topic: string, assignment: number[][]): Promise<RunningCluster> {
  const c = await startCluster({ host: '127.0.0.1', port: 0, brokers, autoLeaderRebalance: false });
  const raw = await RawClient.connect(c.cluster.nodes[0]!.port);
  try {
    const res = await raw.request(19, 5, {
      topics: [{ name: topic, numPartitions: -1, replicationFactor: -1, assignments: assignment.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }],
      timeoutMs: 5000, validateOnly: false,
    });
    assert.equal(res.topics[0].errorCode, 0, `topic ${topic} created`);
  } finally {
    raw.close();
  }
  return c;
}
