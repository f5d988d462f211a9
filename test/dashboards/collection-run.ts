/**
 * A real collection run for the dashboard tests: the bundled 3-broker cluster (small network-in
 * capacity, so the quota loop sees pressure), a workload of real producers and consumer groups,
 * a client quota that holds one producer back, and the whole service (collectors every second,
 * the shipped rule packs plus two rules that fire at once, notifications to a webhook that
 * accepts and one that refuses, the throttle loop in recommend mode) storing into its own schema
 * of the PostgreSQL server at DATABASE_URL. Near the end one broker stops, so broker-down and
 * leader-change events and under-replicated partitions are recorded too. Finally the rollups are
 * computed over the run, as the store's maintenance job would.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { buildApp } from '../../src/app.ts';
import { isSluiceError } from '../../src/errors.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { startCluster } from '../../src/kafka/broker/index.ts';
import { rollup } from '../../src/store/rollup.ts';
import { quoteIdent } from '../../src/store/sql.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { parseScenario } from '../../src/workload/scenario.ts';
import { startWorkload } from '../../src/workload/run.ts';
import { startServer } from '../notify/support.ts';
import { uniqueSchema } from '../helpers/backends.ts';
import { bundledClusterEntry, serviceConfigFor } from '../helpers/service.ts';

const KIB = 1024;

const SCENARIO = `
name: dashboards
duration: 120s
topics:
  - { name: orders, partitions: 3, replicationFactor: 3 }
  - { name: clicks, partitions: 3, replicationFactor: 2 }
producers:
  - { id: core, clientId: core-orders, topic: orders, rate: 60, size: 1024, keys: 100, acks: 1 }
  - { id: clicks, clientId: clickstream, topic: clicks, rate: 200, size: 1024, keys: 1000, acks: 1 }
consumers:
  - { id: billing, clientId: billing, group: billing, topics: [orders] }
  - { id: analytics, clientId: analytics, group: analytics, topics: [clicks] }
`;

// Fire at once, so that ALERTS, alert state and the notification outbox have rows in a short run.
const RULES = `groups:
  - name: dashboards
    interval: 1s
    rules:
      - alert: DashboardBrokersAlive
        expr: sluice_cluster_brokers_alive > 0
        labels: { severity: info }
        annotations: { summary: '{{ $value }} brokers alive on {{ $labels.cluster }}' }
      - alert: DashboardClientNearQuota
        expr: sluice_client_quota_utilization > 0.5
        labels: { severity: warning }
        annotations: { summary: '{{ $labels.client_id }} uses {{ $value | humanizePercentage }} of its quota' }
`;

/** What a finished run leaves for the queries. */
export interface CollectionRun {
  /** A connection to the run's schema (search_path set), as Grafana's data source would have. */
  readonly client: pg.Client;
  /** The PostgreSQL schema the run stored into, for a service reading it afterwards. */
  readonly schema: string;
  /** First and last sample times of the run, ms. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Rows in the tables the boards read, for the test's diagnostics. */
  readonly counts: Readonly<Record<string, number>>;
  /** Closes the connection and drops the schema. */
  close(): Promise<void>;
}

/** Runs the service against the workload for `seconds`, then stops everything but the database. */
export async function collectionRun(url: string, seconds: number): Promise<CollectionRun> {
  const schema = uniqueSchema();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-dashboards-'));
  await writeFile(join(dir, 'dashboards.yaml'), RULES);
  const accepting = await startServer(() => 200);
  const refusing = await startServer(() => 400);
  const cluster = await startCluster({ port: 0, brokers: 3, metricsPort: 0, logger: silentLogger(), replicaLagTimeMaxMs: 1000, capacity: { networkInBytesPerSec: 300 * KIB } });
  const entry = bundledClusterEntry(cluster, 'dash');
  const { bootstrap } = entry;
  const config = serviceConfigFor(cluster, {
    name: 'dash',
    store: { url, schema },
    cluster: {
      hosts: entry.metrics!.map((m) => m.url),
      intervals: { host: 1, cluster: 1, topics: 1, clients: 1 },
      timeouts: { requestMs: 2000, connectMs: 500, scrapeMs: 1000 },
    },
    rules: { files: ['rules', join(dir, 'dashboards.yaml')], interval: 1 },
    notify: {
      route: { receiver: 'oncall', group_by: ['alertname'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [{ name: 'oncall', webhook_configs: [{ url: `${accepting.url}/hook` }, { url: `${refusing.url}/hook` }] }],
    },
    throttle: {
      // A low target keeps the cluster pressured even on a slow machine, so there are recommendations to apply.
      mode: 'recommend', interval: 2, window: 60, rateWindow: 4, target: 0.3,
      groups: [
        { name: 'core', priority: 3, weight: 4, floor: 40 * KIB, match: [{ clientId: 'core-*' }] },
        { name: 'general', priority: 0, weight: 1, floor: 10 * KIB, match: [{}] },
      ],
      diagnosis: { confirmRounds: 1 },
      guardrails: { cooldown: 2, minR2: 0 },
    },
  });
  const admin = new KafkaAdmin({ bootstrap, clientId: 'dashboards-test' });
  const app = buildApp(config, { jitter: 0 });
  let workload: Awaited<ReturnType<typeof startWorkload>> | undefined;
  try {
    // A produce quota that holds clickstream back (throttle time, utilization ~1) and a consume
    // quota that does not bind, so both quota series exist.
    await admin.alterClientQuotas([
      { entity: [{ entityType: 'client-id', entityName: 'clickstream' }], key: 'producer_byte_rate', value: 120 * KIB },
      { entity: [{ entityType: 'client-id', entityName: 'analytics' }], key: 'consumer_byte_rate', value: 10 * 1024 * KIB },
    ]);
    await app.start();
    const startedAt = Date.now();
    workload = await startWorkload(parseScenario(SCENARIO, 'dashboards.yaml'), { bootstrap: [bootstrap[0]!], statusIntervalMs: 60_000 }, { logger: silentLogger(), status: () => {} });
    // Apply the first recommendation as an operator would (the API's apply), so applied
    // decisions exist beside the recommended ones.
    const loop = app.throttle.get('dash')!;
    let applied = false;
    while (Date.now() - startedAt < (seconds - 6) * 1000) {
      await sleep(500);
      if (applied) continue;
      const pending = await app.store.db.query<{ id: number }>(`SELECT id::float8 AS id FROM quota_decisions WHERE status = 'pending' ORDER BY id LIMIT 1`);
      if (pending.rows[0] !== undefined) applied = await loop.apply(pending.rows[0].id, 'api').then(() => true, (err: unknown) => (isSluiceError(err) ? false : Promise.reject(err)));
    }
    await cluster.cluster.stopBroker(2);
    await sleep(6000);
    await workload.stop();
    workload = undefined;
    await app.store.writer.flush();
    const endedAt = Date.now();
    await rollup(app.store.db, startedAt - 60_000, endedAt + 60_000);
    await app.stop();
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${quoteIdent(schema)}` });
    await client.connect();
    const counts: Record<string, number> = {};
    for (const table of ['samples', 'samples_1m', 'samples_1h', 'series', 'alert_state', 'notify_outbox', 'quota_decisions', 'events']) {
      counts[table] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    }
    return {
      client, schema, startedAt, endedAt, counts,
      async close() {
        await client.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
        await client.end();
      },
    };
  } catch (err) {
    await dropSchema(url, schema);
    throw err;
  } finally {
    await workload?.stop().catch(() => undefined);
    await app.stop().catch(() => undefined);
    await admin.close().catch(() => undefined);
    await cluster.stop();
    await accepting.close();
    await refusing.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
