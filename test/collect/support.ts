/**
 * Shared fixtures of the collector tests: a bundled 3-broker cluster with metrics endpoints, the
 * real store (PostgreSQL at DATABASE_URL when set, embedded PGlite otherwise), the collect config
 * pointing at the cluster, and reading back what the store holds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startCluster, type BrokerOptions, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { parseCollectConfig, type ClusterConfig } from '../../src/collect/config.ts';

import { BACKENDS, storeLocation, type BackendName } from '../helpers/backends.ts';
import { bundledClusterEntry } from '../helpers/service.ts';

export { DATABASE_URL } from '../helpers/backends.ts';

/** Starts a 3-broker bundled cluster on free ports with metrics endpoints. */
export function startTestCluster(options: Omit<BrokerOptions, 'host' | 'port' | 'metricsPort'> = {}): Promise<RunningCluster> {
  return startCluster({ brokers: 3, ...options, host: '127.0.0.1', port: 0, metricsPort: 0, logger: pino({ level: process.env.SLUICE_TEST_BROKER_LOG ?? 'silent' }) });
}

/** The collect config of one cluster named `test` pointing at `running`, validated. */
export function clusterConfigFor(running: RunningCluster, extra: Record<string, unknown> = {}): ClusterConfig {
  return parseCollectConfig({
    clusters: [bundledClusterEntry(running, 'test', { timeouts: { requestMs: 2000, connectMs: 1000, scrapeMs: 2000 }, ...extra })],
  }).clusters[0]!;
}

/** Opens the real store: PostgreSQL (own schema) or PGlite in memory (default: the last of BACKENDS). */
export async function openTestStore(backend: BackendName = BACKENDS.at(-1)!): Promise<Store> {
  return openStore(storeLocation(backend), { registry: new Registry() });
}

/** Drops the test schema (PostgreSQL) and closes the store. */
export async function closeTestStore(store: Store): Promise<void> {
  const schema = (await store.db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s;
  if (store.db.kind === 'postgres' && schema?.startsWith('sluice_test_')) await store.db.exec(`DROP SCHEMA ${schema} CASCADE`);
  await store.close();
}

/**
 * Values stored in PostgreSQL (not the head) for `metric` with labels including `labels`, with
 * their times, oldest first. Flushes the writer first.
 */
export async function stored(store: Store, metric: string, labels: Record<string, string> = {}): Promise<{ ts: number; value: number; labels: Record<string, string> }[]> {
  await store.writer.flush();
  const matchers = [{ name: '__name__', type: '=' as const, value: metric }, ...Object.entries(labels).map(([name, value]) => ({ name, type: '=' as const, value }))];
  const series = await store.history.select(matchers, 0, Date.now() + 60_000);
  const out: { ts: number; value: number; labels: Record<string, string> }[] = [];
  for (const s of series) for (let i = 0; i < s.ts.length; i++) out.push({ ts: s.ts[i]!, value: s.values[i]!, labels: { ...s.labels } });
  return out.sort((a, b) => a.ts - b.ts);
}

/** The newest stored value of one series, or undefined. */
export async function latestValue(store: Store, metric: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return (await stored(store, metric, labels)).at(-1)?.value;
}

/** Polls `predicate` every 50 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
