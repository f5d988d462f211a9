/**
 * Shared fixtures of the collector tests: a bundled 3-broker cluster with metrics endpoints, the
 * real store (PostgreSQL at DATABASE_URL when set, embedded PGlite otherwise), the collect config
 * pointing at the cluster, and reading back what the store holds.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startCluster, type BrokerOptions, type RunningCluster } from '../../src/kafka/broker/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { parseCollectConfig, type ClusterConfig } from '../../src/collect/config.ts';

/** The PostgreSQL server to test against, if any. */
export const DATABASE_URL = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;

/** Starts a 3-broker bundled cluster on free ports with metrics endpoints. */
export function startTestCluster(options: Omit<BrokerOptions, 'host' | 'port' | 'metricsPort'> = {}): Promise<RunningCluster> {
  return startCluster({ brokers: 3, ...options, host: '127.0.0.1', port: 0, metricsPort: 0, logger: pino({ level: process.env.SLUICE_TEST_BROKER_LOG ?? 'silent' }) });
}

/** The collect config of one cluster named `test` pointing at `running`, validated. */
export function clusterConfigFor(running: RunningCluster, extra: Record<string, unknown> = {}): ClusterConfig {
  const nodes = running.cluster.nodes.filter((n) => n !== undefined);
  return parseCollectConfig({
    clusters: [{
      name: 'test',
      bootstrap: nodes.map((n) => `127.0.0.1:${n.port}`),
      metrics: nodes.map((n) => ({ url: `http://127.0.0.1:${n.metricsPort}/metrics`, broker: n.nodeId })),
      timeouts: { requestMs: 2000, connectMs: 1000, scrapeMs: 2000 },
      ...extra,
    }],
  }).clusters[0]!;
}

/** The store backends the collector tests run on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const STORE_BACKENDS: readonly ('pglite' | 'postgres')[] = DATABASE_URL === undefined ? ['pglite'] : ['pglite', 'postgres'];

/** Opens the real store: PostgreSQL (own schema) or PGlite in memory (default: PostgreSQL when DATABASE_URL is set). */
export async function openTestStore(backend: 'pglite' | 'postgres' = DATABASE_URL === undefined ? 'pglite' : 'postgres'): Promise<Store> {
  const registry = new Registry();
  if (backend === 'postgres') {
    if (DATABASE_URL === undefined) throw new Error('the postgres backend needs DATABASE_URL');
    return openStore({ url: DATABASE_URL, schema: `sluice_test_${randomBytes(6).toString('hex')}` }, { registry });
  }
  return openStore({ dataDir: 'memory' }, { registry });
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
